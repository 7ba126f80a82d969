package alert

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// fuzzKV is a map KV whose entries the fuzzer writes raw, as a damaged or
// hand-edited store would hold them.
type fuzzKV map[string]json.RawMessage

func (k fuzzKV) Put(key string, v any) error {
	b, err := json.Marshal(v)
	k[key] = b
	return err
}

func (k fuzzKV) Get(key string, v any) (bool, error) {
	b, ok := k[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(b, v)
}

func (k fuzzKV) Delete(key string) error { delete(k, key); return nil }

func (k fuzzKV) ForEach(fn func(string, json.RawMessage) error) error {
	for _, key := range slices.Sorted(maps.Keys(k)) {
		if err := fn(key, k[key]); err != nil {
			return err
		}
	}
	return nil
}

// FuzzAlertQueue loads arbitrary stored queue entries: loading must never
// panic, every entry kept must be one the queue can deliver and later remove
// (its key is the one it would be stored under, its notifier configured),
// everything else is dropped from the store, and a new entry never
// overwrites a kept one.
//
//	go test ./alert -run '^$' -fuzz FuzzAlertQueue -fuzztime 5m
func FuzzAlertQueue(f *testing.F) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	good, _ := json.Marshal(entry{Seq: 1764212400000000001, Notifier: "webhook/ops", Enqueued: t0,
		Alert: Alert{Fingerprint: "f1", Name: NameLinkDown, Status: StatusFiring, StartsAt: t0}})
	f.Add("webhook/ops/01764212400000000001", good, "webhook/ops/x", []byte(`{"seq":2,"notifier":"webhook/ops"}`))
	f.Add("x", []byte(`{"seq":18446744073709551615,"notifier":"slack/team"}`), "slack/team/18446744073709551615",
		[]byte(`{"seq":18446744073709551615,"notifier":"slack/team"}`))
	f.Add("a", []byte(`{"seq":-1}`), "b", []byte(`{"alert":{"starts_at":"0000-01-01T00:00:00Z","evidence":[{}]}}`))
	f.Add("", []byte(`null`), "c", []byte(`[]`))
	names := []string{"webhook/ops", "slack/team", "alertmanager"}
	f.Fuzz(func(t *testing.T, k1 string, v1 []byte, k2 string, v2 []byte) {
		kv := fuzzKV{k1: v1, k2: v2}
		q, dropped, err := loadQueue(kv, names, time.Second, time.Minute)
		if err != nil {
			t.Fatalf("loading: %v", err)
		}
		if q.length()+dropped != len(kv)+dropped || q.length() != len(kv) {
			t.Fatalf("%d pending, %d dropped, %d left in the store", q.length(), dropped, len(kv))
		}
		for _, n := range names {
			for _, e := range q.due(n, t0) {
				if _, stored := kv[e.key()]; !stored || e.Notifier != n {
					t.Fatalf("pending entry %s/%d is not stored under its key", e.Notifier, e.Seq)
				}
			}
		}
		for _, n := range names {
			if err := q.add(n, Alert{Fingerprint: "new"}, t0); err != nil {
				t.Fatal(err)
			}
		}
		if q.length() != len(kv) {
			t.Fatalf("a new entry overwrote a stored one: %d pending, %d stored", q.length(), len(kv))
		}
		for _, n := range names {
			if err := q.done(n, q.due(n, t0)); err != nil {
				t.Fatal(err)
			}
		}
		if len(kv) != 0 || q.length() != 0 {
			t.Fatalf("delivered entries left behind: %s", fmt.Sprint(slices.Sorted(maps.Keys(kv))))
		}
	})
}
