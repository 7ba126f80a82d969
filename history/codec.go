package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// A stored result is its series identity (source, destination, path, probe,
// direction, each uvarint-length-prefixed) followed by the record as JSON.
// The prefix lets a filtered scan skip other series' records without decoding
// JSON, which is otherwise most of the cost of a query.
const identityFields = 5

var errBadValue = errors.New("malformed stored result")

// encodeResult encodes r as stored in the results bucket.
func encodeResult(r Record) ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	ids := [identityFields]string{r.Source, r.Destination, r.Path, r.Probe, r.Direction}
	size := len(data)
	for _, id := range ids {
		size += binary.MaxVarintLen64 + len(id)
	}
	buf := make([]byte, 0, size)
	for _, id := range ids {
		buf = binary.AppendUvarint(buf, uint64(len(id)))
		buf = append(buf, id...)
	}
	return append(buf, data...), nil
}

// splitResult returns the identity fields and the JSON of a stored result.
// Both alias v.
func splitResult(v []byte) (ids [identityFields][]byte, data []byte, err error) {
	for i := range ids {
		n, w := binary.Uvarint(v)
		if w <= 0 || n > uint64(len(v)-w) {
			return ids, nil, errBadValue
		}
		ids[i], v = v[w:w+int(n)], v[w+int(n):]
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
	err = decodeJSON(k, data, &r)
	return r, true, err
}

func (f Filter) matchesRaw(ids [identityFields][]byte) bool {
	// string(b) == s in a comparison does not allocate.
	return eqRaw(f.Source, ids[0]) && eqRaw(f.Destination, ids[1]) && eqRaw(f.Path, ids[2]) &&
		eqRaw(f.Probe, ids[3]) && eqRaw(f.Direction, ids[4])
}

func eqRaw(want string, got []byte) bool { return want == "" || want == string(got) }
