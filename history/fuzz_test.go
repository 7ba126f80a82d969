package history

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzRecordCodec round-trips arbitrary records through the stored encoding
// (identity prefix + binary body) and decodes arbitrary stored bytes, as a damaged
// database would hold: decoding must never panic, an encoded record must
// decode to itself and pass the filter of its own identity, and its time key
// must give its time back.
//
//	go test ./history -run '^$' -fuzz FuzzRecordCodec -fuzztime 5m
func FuzzRecordCodec(f *testing.F) {
	f.Add("a", "b", "overlay", "tcp", "outbound", "timeout", int64(1764763200000000000), true, 0.25,
		[]byte(`{"answers":["10.0.0.1"],"loss":0.5}`), []byte("\x01a\x01b"))
	f.Add("", "", "", "", "", "", int64(math.MinInt64), false, -1.0, []byte(`null`), []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Add("ü|x", "b|", "p\x00", "é", "inbound", "ok", int64(math.MaxInt64), true, 1e308, []byte(`{"":{}}`), []byte{})
	f.Fuzz(func(t *testing.T, src, dst, path, probe, dir, cause string, nanos int64, passed bool, dur float64,
		details, stored []byte) {
		_, _, _ = decodeResult([]byte("k"), stored, Filter{})
		_, _, _ = decodeResult([]byte("k"), stored, Filter{Source: src})

		r := Record{Time: time.Unix(0, nanos).UTC(), Source: src, Destination: dst, Path: path, Probe: probe,
			Direction: dir, Kind: "tcp", Passed: passed, Reachable: passed, Cause: cause, Message: cause,
			DurationSeconds: dur}
		if d := map[string]any{}; json.Unmarshal(details, &d) == nil && len(d) > 0 {
			r.Details = d
		}
		if got := keyTime(timeKey(r.Time, 7)); !got.Equal(r.Time) {
			t.Fatalf("time key of %s gives %s", r.Time, got)
		}
		data, err := encodeResult(r)
		if err != nil {
			return // NaN or Inf durations do not encode: Append reports it
		}
		for _, s := range []string{src, dst, path, probe, dir, cause} {
			if !utf8.ValidString(s) {
				return // details are JSON, which replaces invalid UTF-8: no exact round trip
			}
		}
		got, ok, err := decodeResult([]byte("k"), data, Filter{Source: src, Destination: dst, Path: path,
			Probe: probe, Direction: dir})
		if err != nil || !ok {
			t.Fatalf("decoding its own encoding: ok %v, %v", ok, err)
		}
		if !got.Time.Equal(r.Time) {
			t.Fatalf("time %s decoded as %s", r.Time, got.Time)
		}
		got.Time = r.Time
		if r.Details != nil {
			want, _ := json.Marshal(r.Details) // numbers read back as float64: compare as JSON
			have, _ := json.Marshal(got.Details)
			if string(want) != string(have) {
				t.Fatalf("details %s decoded as %s", want, have)
			}
			got.Details = r.Details
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("record %+v decoded as %+v", r, got)
		}
	})
}

// FuzzRollupBlock decodes arbitrary bytes as sealed and open rollup blocks
// (a damaged database): never a panic, and whatever decodes encodes back to
// the same minutes. It also round-trips a block built from the inputs.
//
//	go test ./history -run '^$' -fuzz FuzzRollupBlock -fuzztime 5m
func FuzzRollupBlock(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x03\x86\x10\x12\x26\x03\x04"), uint64(0x0f), 6, 1, 18, 17, uint8(40), uint8(44))
	f.Add([]byte{}, uint64(1<<59), 200, 0, 0, 0, uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, stored []byte, present uint64, results, failed, sent, lost int, p50, p99 uint8) {
		if ms, err := decodeBlock(stored); err == nil {
			again, err := decodeBlock(encodeBlock(ms))
			if err != nil || !reflect.DeepEqual(again, ms) {
				t.Fatalf("block %x: decoded %+v, re-encoded and decoded %+v (%v)", stored, ms, again, err)
			}
		}
		if o, err := decodeOpen(stored); err == nil {
			if _, err := decodeOpen(o.encode()); err != nil {
				t.Fatalf("open block %x re-encoded does not decode: %v", stored, err)
			}
		}
		results, failed, sent, lost = 1+abs(results)%1000, abs(failed), abs(sent)%100000, abs(lost)
		m := minute{results: results, failed: min(failed, results), sent: sent, received: sent - min(lost, sent)}
		if p50 > 0 {
			m.p50, m.p99 = p50, max(p50, p99)
		}
		var ms []minute
		for at := range 60 {
			if present&(1<<at) != 0 {
				m.at = at
				ms = append(ms, m)
			}
		}
		got, err := decodeBlock(encodeBlock(ms))
		if err != nil || len(got) != len(ms) || (len(ms) > 0 && !reflect.DeepEqual(got, ms)) {
			t.Fatalf("minutes %+v encoded and decoded: %+v (%v)", ms, got, err)
		}
	})
}

func abs(v int) int {
	if v < 0 {
		return -(v + 1)
	}
	return v
}
