package history

import (
	"bytes"
	"testing"
	"time"
)

// FuzzStateCodec round-trips series states through their binary encoding,
// decodes arbitrary stored bytes without panicking, and still reads the JSON
// states earlier versions wrote.
//
//	go test ./history -run '^$' -fuzz FuzzStateCodec -fuzztime 1m
func FuzzStateCodec(f *testing.F) {
	f.Add(true, int64(1764763200000000000), "ok", []byte(nil), []byte(`{"passed":true,"time":"2025-12-03T12:00:00Z","cause":"ok"}`))
	f.Add(false, int64(-1), "timeout", []byte("0123456789abcdef"), []byte("\x01\x02\x00\x00\x00\x00\x00\x00\x00\x00\xff"))
	f.Add(false, int64(0), "", []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, passed bool, nanos int64, cause string, outage, stored []byte) {
		_, _ = decodeState([]byte("k"), stored)

		st := seriesState{Passed: passed, Time: time.Unix(0, nanos).UTC(), Cause: cause, Outage: outage}
		got, err := decodeState([]byte("k"), st.encode())
		if err != nil {
			t.Fatalf("decoding its own encoding: %v", err)
		}
		if got.Passed != st.Passed || !got.Time.Equal(st.Time) || got.Cause != st.Cause ||
			!bytes.Equal(got.Outage, st.Outage) || (got.Outage == nil) != (st.Outage == nil) {
			t.Fatalf("state %+v decoded as %+v", st, got)
		}
	})
}

func TestStateReadsLegacyJSON(t *testing.T) {
	st, err := decodeState([]byte("k"), []byte(`{"passed":false,"time":"2025-12-03T12:00:00Z","cause":"timeout","outage":"AAECAwQFBgcICQoLDA0ODw=="}`))
	if err != nil || st.Passed || st.Cause != "timeout" || len(st.Outage) != 16 ||
		!st.Time.Equal(time.Date(2025, 12, 3, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("legacy state decoded as %+v, %v", st, err)
	}
}

func TestResultReadsLegacyJSON(t *testing.T) {
	var v []byte
	for _, id := range []string{"a", "b", "overlay", "tcp", "outbound"} {
		v = appendField(v, id)
	}
	v = append(v, `{"time":"2025-12-03T12:00:00Z","source":"a","destination":"b","path":"overlay","probe":"tcp",`+
		`"direction":"outbound","kind":"tcp","passed":false,"reachable":true,"cause":"timeout","message":"m",`+
		`"duration_seconds":0.5,"details":{"sent":4,"received":3,"rtt_seconds":0.001}}`...)
	r, ok, err := decodeResult([]byte("k"), v, Filter{Destination: "b"})
	if err != nil || !ok || r.Cause != "timeout" || r.Passed || !r.Reachable || r.DurationSeconds != 0.5 ||
		r.Details["sent"] != 4.0 {
		t.Fatalf("legacy result decoded as %+v, %v, %v", r, ok, err)
	}
	_, data, _ := splitResult(v)
	rf, err := decodeRollupFields(data)
	if err != nil || rf.Details.Received != 3 || rf.DurationSeconds != 0.5 {
		t.Fatalf("legacy rollup fields %+v, %v", rf, err)
	}
}
