package history

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A series' state is rewritten by every result of the series, so its
// encoding is binary and small, not JSON:
//
//	version byte (stateVersion) | flags byte (bit 0 passed, bit 1 open outage)
//	| time: 8 bytes, big-endian UnixNano | cause: uvarint length, bytes
//	| outage key: uvarint length, bytes (only with bit 1)
//
// States written as JSON by earlier versions start with '{' and still decode.
const stateVersion = 1

const (
	statePassed = 1 << iota
	stateOutage
)

func (st seriesState) encode() []byte {
	buf := make([]byte, 0, 2+8+2*binary.MaxVarintLen64+len(st.Cause)+len(st.Outage))
	var flags byte
	if st.Passed {
		flags |= statePassed
	}
	if st.Outage != nil {
		flags |= stateOutage
	}
	buf = append(buf, stateVersion, flags)
	buf = binary.BigEndian.AppendUint64(buf, uint64(st.Time.UnixNano()))
	buf = binary.AppendUvarint(buf, uint64(len(st.Cause)))
	buf = append(buf, st.Cause...)
	if st.Outage != nil {
		buf = binary.AppendUvarint(buf, uint64(len(st.Outage)))
		buf = append(buf, st.Outage...)
	}
	return buf
}

// decodeState decodes a stored state, binary or (from earlier versions) JSON.
func decodeState(key, v []byte) (seriesState, error) {
	var st seriesState
	if len(v) > 0 && v[0] == '{' {
		return st, decodeJSON(key, v, &st)
	}
	if len(v) < 10 || v[0] != stateVersion {
		return st, fmt.Errorf("decoding %q: %w", key, errBadValue)
	}
	flags := v[1]
	st.Passed = flags&statePassed != 0
	st.Time = time.Unix(0, int64(binary.BigEndian.Uint64(v[2:10]))).UTC()
	cause, rest, ok := cutField(v[10:])
	if !ok {
		return st, fmt.Errorf("decoding %q: %w", key, errBadValue)
	}
	st.Cause = string(cause)
	if flags&stateOutage != 0 {
		outage, _, ok := cutField(rest)
		if !ok {
			return st, fmt.Errorf("decoding %q: %w", key, errBadValue)
		}
		st.Outage = bytes.Clone(outage) // v belongs to the transaction
	}
	return st, nil
}

// cutField splits a uvarint-length-prefixed field off the front of v.
func cutField(v []byte) (field, rest []byte, ok bool) {
	n, w := binary.Uvarint(v)
	if w <= 0 || n > uint64(len(v)-w) {
		return nil, nil, false
	}
	return v[w : w+int(n)], v[w+int(n):], true
}

// getState reads the state of the series at key; a missing one is zero.
func getState(b *bolt.Bucket, key []byte) (seriesState, error) {
	if v := b.Get(key); v != nil {
		return decodeState(key, v)
	}
	return seriesState{}, nil
}

func putState(b *bolt.Bucket, key []byte, st seriesState) error {
	if err := b.Put(key, st.encode()); err != nil {
		return fmt.Errorf("storing %q: %w", key, err)
	}
	return nil
}
