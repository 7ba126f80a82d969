package alert

import (
	"testing"
	"time"
)

// A notifier backed off after failures tries a new notification at once,
// and backs off further if that fails too.
func TestQueueTriesANewNotificationAtOnce(t *testing.T) {
	q, _, err := loadQueue(fuzzKV{}, []string{"hook"}, time.Second, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	if err := q.add("hook", Alert{Fingerprint: "a", Status: StatusFiring}, t0); err != nil {
		t.Fatal(err)
	}
	var d time.Duration
	for range 6 { // 1, 2, 4, 8, 16, 32 s
		d = q.failed("hook", t0)
	}
	if d != 32*time.Second || q.due("hook", t0.Add(31*time.Second)) != nil {
		t.Fatalf("backed off %s; due before it: %v", d, q.due("hook", t0.Add(31*time.Second)))
	}
	if err := q.add("hook", Alert{Fingerprint: "b", Status: StatusFiring}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := q.due("hook", t0.Add(time.Second)); len(got) != 2 {
		t.Fatalf("a new notification: want both entries due at once, got %d", len(got))
	}
	if d := q.failed("hook", t0.Add(time.Second)); d != time.Minute {
		t.Fatalf("failing again backs off further: got %s, want the 1m cap", d)
	}
}
