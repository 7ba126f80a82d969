package controller

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/robfig/cron/v3"
)

// Bounds of a check's interval and timeout, enforced where checks are
// declared (config file and service labels): a 1ns interval would spin a CPU,
// and a week-long one is a typo.
const (
	MinInterval = 100 * time.Millisecond
	MaxInterval = 24 * time.Hour
	MinTimeout  = time.Millisecond
	MaxTimeout  = time.Hour
)

// Schedule yields a check's run times.
type Schedule interface {
	// First is the first run time after the job starts at now.
	First(now time.Time) time.Time
	// Next is the run time after a run that was due at prev.
	Next(prev, now time.Time) time.Time
}

// NewSchedule builds the schedule of c: its cron expression in its time zone
// when set, else its interval.
func NewSchedule(c Check) (Schedule, error) {
	if c.Cron != "" {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("check %s: time zone: %w", c.Key, err)
		}
		s, err := ParseCron(c.Cron)
		if err != nil {
			return nil, fmt.Errorf("check %s: cron %q: %w", c.Key, c.Cron, err)
		}
		return cronSchedule{s: s, loc: loc}, nil
	}
	if c.Interval <= 0 {
		return nil, fmt.Errorf("check %s: no interval and no cron schedule", c.Key)
	}
	return intervalSchedule{every: c.Interval, offset: spread(c.Key, c.Interval)}, nil
}

type cronSchedule struct {
	s   cron.Schedule
	loc *time.Location
}

func (c cronSchedule) First(now time.Time) time.Time { return c.s.Next(now.In(c.loc)) }

func (c cronSchedule) Next(_, now time.Time) time.Time { return c.s.Next(now.In(c.loc)) }

// intervalSchedule runs every interval. The first run is placed at a stable
// offset derived from the key, so that the checks of one agent (and, with
// different keys, of a cluster) are spread evenly over the interval instead
// of firing together; each later run gets up to 2% jitter.
type intervalSchedule struct {
	every  time.Duration
	offset time.Duration
}

func (s intervalSchedule) First(now time.Time) time.Time { return now.Add(s.offset) }

func (s intervalSchedule) Next(prev, now time.Time) time.Time {
	next := prev.Add(s.every)
	if next.Before(now) { // fell behind (a slow probe, a paused process): skip, don't burst
		next = now.Add(s.every - (now.Sub(prev) % s.every))
	}
	if j := int64(s.every / 50); j > 0 {
		next = next.Add(time.Duration(rand.Int64N(j)))
	}
	return next
}

// spread maps key to a stable offset in [0, interval).
func spread(key string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(interval))
}
