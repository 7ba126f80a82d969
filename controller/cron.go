package controller

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
)

// MaxCronLength is the longest cron spec accepted; real ones are a few dozen
// characters, and a bound keeps a hostile label or file from costing much.
const MaxCronLength = 256

// cronParser is the cron dialect: five fields with an optional leading
// seconds field, or a descriptor such as @daily. It is unexported so that
// every caller goes through ParseCron and its guards.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron is the one cron parser of swarmlink (config validation, the
// scheduler, named runs and service labels all use it). It checks the spec
// before robfig/cron sees it, since robfig panics on some inputs (such as
// "TZ=UTC"), recovers any panic robfig still raises as an error, and rejects
// a schedule that never fires. It never panics and is safe for concurrent use.
func ParseCron(spec string) (sched cron.Schedule, err error) {
	if err := precheckCron(spec); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			sched, err = nil, fmt.Errorf("unparseable cron schedule (parser panicked: %v)", p)
		}
	}()
	if sched, err = cronParser.Parse(spec); err != nil {
		return nil, err
	}
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, errors.New("the schedule never fires (no such date within five years)")
	}
	return sched, nil
}

// precheckCron rejects what robfig mishandles: time zone prefixes (time
// zones have their own field), non-ASCII or control characters, overlong
// specs and @every without a positive duration of at least 1s (robfig
// silently turns "@every -1s" or "@every 0s" into every second).
func precheckCron(spec string) error {
	s := strings.TrimSpace(spec)
	switch {
	case s == "":
		return errors.New("empty cron schedule")
	case len(spec) > MaxCronLength:
		return fmt.Errorf("cron schedule of %d characters: at most %d", len(spec), MaxCronLength)
	case !printableASCII(spec):
		return errors.New("cron schedule may only hold printable ASCII characters and spaces")
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		return errors.New("TZ= and CRON_TZ= prefixes are not supported: set the time_zone field instead")
	}
	if rest, ok := strings.CutPrefix(s, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return fmt.Errorf("@every needs a duration such as 5m: %w", err)
		}
		if d < time.Second {
			return fmt.Errorf("@every %s: the duration must be at least 1s", d)
		}
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
