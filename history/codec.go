package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// A stored result is its series identity (source, destination, path, probe,
// direction, each uvarint-length-prefixed) followed by the record. The
// prefix lets a filtered scan skip other series' records without decoding
// the rest.
//
// The rest is binary, a third of the JSON it replaced:
//
//	version byte (recordVersion) | flags byte (bit 0 passed, bit 1 reachable)
//	| time: 8 bytes, big-endian UnixNano | kind, cause, message: each a
//	uvarint length and bytes | duration: 8 bytes, big-endian float64 bits
//	| details: JSON, to the end (empty when there are none)
//
// Records written as JSON by earlier versions start with '{' and still
// decode.
const (
	identityFields = 5
	recordVersion  = 1
)

const (
	recordPassed = 1 << iota
	recordReachable
)

var (
	errBadValue    = errors.New("malformed stored result")
	errBadDuration = errors.New("duration is not a finite number")
)

// encodeResult encodes r as stored in the results bucket.
func encodeResult(r Record) ([]byte, error) {
	if math.IsNaN(r.DurationSeconds) || math.IsInf(r.DurationSeconds, 0) {
		return nil, errBadDuration
	}
	var details []byte
	if len(r.Details) > 0 {
		var err error
		if details, err = json.Marshal(r.Details); err != nil {
			return nil, err
		}
	}
	ids := r.identity()
	size := 2 + 8 + 8 + len(details)
	for _, s := range append(ids[:], r.Kind, r.Cause, r.Message) {
		size += binary.MaxVarintLen64 + len(s)
	}
	buf := appendIdentity(make([]byte, 0, size), ids)
	var flags byte
	if r.Passed {
		flags |= recordPassed
	}
	if r.Reachable {
		flags |= recordReachable
	}
	buf = append(buf, recordVersion, flags)
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.Time.UnixNano()))
	buf = appendField(appendField(appendField(buf, r.Kind), r.Cause), r.Message)
	buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(r.DurationSeconds))
	return append(buf, details...), nil
}

// identity is r's series identity, in stored order.
func (r Record) identity() [identityFields]string {
	return [identityFields]string{r.Source, r.Destination, r.Path, r.Probe, r.Direction}
}

// appendIdentity appends ids as a stored result's prefix (and a rollup
// block's key) holds them: each uvarint-length-prefixed.
func appendIdentity(buf []byte, ids [identityFields]string) []byte {
	for _, id := range ids {
		buf = appendField(buf, id)
	}
	return buf
}

func appendField(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// splitResult returns the identity fields and the rest of a stored result.
// Both alias v.
func splitResult(v []byte) (ids [identityFields][]byte, data []byte, err error) {
	for i := range ids {
		var ok bool
		if ids[i], v, ok = cutField(v); !ok {
			return ids, nil, errBadValue
		}
	}
	return ids, v, nil
}

// decodeResult decodes a stored result if its identity passes f; ok is false
// when it does not. A skipped record costs no allocation.
func decodeResult(k, v []byte, f Filter) (Record, bool, error) {
	ids, data, err := splitResult(v)
	if err != nil {
		return Record{}, false, fmt.Errorf("decoding %q: %w", k, err)
	}
	if !f.matchesRaw(ids) {
		return Record{}, false, nil
	}
	var r Record // escapes via decodeJSON: declared only when needed
	if isJSON(data) {
		err = decodeJSON(k, data, &r)
		return r, true, err
	}
	r.Source, r.Destination, r.Path = string(ids[0]), string(ids[1]), string(ids[2])
	r.Probe, r.Direction = string(ids[3]), string(ids[4])
	details, err := decodeBody(data, &r)
	if err == nil && len(details) > 0 {
		err = json.Unmarshal(details, &r.Details)
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("decoding %q: %w", k, err)
	}
	return r, true, nil
}

func isJSON(data []byte) bool { return len(data) > 0 && data[0] == '{' }

// decodeBody decodes the binary part after the identity into r and
// returns the details JSON, still encoded.
func decodeBody(data []byte, r *Record) (details []byte, err error) {
	if len(data) < 10 || data[0] != recordVersion {
		return nil, errBadValue
	}
	r.Passed, r.Reachable = data[1]&recordPassed != 0, data[1]&recordReachable != 0
	r.Time = time.Unix(0, int64(binary.BigEndian.Uint64(data[2:10]))).UTC()
	rest := data[10:]
	var fields [3][]byte
	for i := range fields {
		var ok bool
		if fields[i], rest, ok = cutField(rest); !ok {
			return nil, errBadValue
		}
	}
	if len(rest) < 8 {
		return nil, errBadValue
	}
	r.Kind, r.Cause, r.Message = string(fields[0]), string(fields[1]), string(fields[2])
	r.DurationSeconds = math.Float64frombits(binary.BigEndian.Uint64(rest[:8]))
	return rest[8:], nil
}

func (f Filter) matchesRaw(ids [identityFields][]byte) bool {
	// string(b) == s in a comparison does not allocate.
	return eqRaw(f.Source, ids[0]) && eqRaw(f.Destination, ids[1]) && eqRaw(f.Path, ids[2]) &&
		eqRaw(f.Probe, ids[3]) && eqRaw(f.Direction, ids[4])
}

func eqRaw(want string, got []byte) bool { return want == "" || want == string(got) }
