package controller_test

import (
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/controller"
)

// FuzzCron feeds arbitrary specs to ParseCron: it must never panic, every
// rejection must be an error, and every accepted schedule must fire.
//
//	go test ./controller -run '^$' -fuzz '^FuzzCron$' -fuzztime 5m
func FuzzCron(f *testing.F) {
	for _, s := range []string{"0 3 * * *", "30 0 3 * * *", "@daily", "@every 1s", "TZ=UTC", "CRON_TZ=UTC",
		"TZ=", "@every -1s", "@every 0s", "0 0 3 * * * *", "0 0 30 2 *", "*/0 * * * *", "0-59/7 1,2 ? JAN-DEC MON"} {
		f.Add(s)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := controller.ParseCron(spec)
		switch {
		case err != nil && s != nil:
			t.Fatalf("ParseCron(%q): both a schedule and an error (%v)", spec, err)
		case err == nil && s == nil:
			t.Fatalf("ParseCron(%q): neither a schedule nor an error", spec)
		case err == nil && s.Next(start).IsZero():
			t.Fatalf("ParseCron(%q): accepted a schedule that never fires", spec)
		}
	})
}
