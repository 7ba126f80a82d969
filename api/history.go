package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/swarmlink/swarmlink/history"
)

// Bounds of the since and until parameters. History keys are UnixNano, so
// times past 2262 cannot be stored, and nothing was recorded before 1970: a
// time outside is a mistake (or an attempt at an overflow) to be told about,
// not a filter that quietly matches everything or nothing.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseFilter reads the history filters from the query string: source,
// destination, path, probe, direction, since, until (RFC 3339, a date
// 2006-01-02 in UTC, or a duration ago such as 15m), limit (1 to
// history.MaxLimit). A bad value is an error naming the parameter and the
// value.
func parseFilter(q url.Values, now time.Time) (history.Filter, error) {
	f := history.Filter{Source: q.Get("source"), Destination: q.Get("destination"), Path: q.Get("path"),
		Probe: q.Get("probe"), Direction: q.Get("direction")}
	var err error
	if f.Since, err = parseTime("since", q.Get("since"), now); err != nil {
		return f, err
	}
	if f.Until, err = parseTime("until", q.Get("until"), now); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Since.After(f.Until) {
		return f, fmt.Errorf("since %q is after until %q", q.Get("since"), q.Get("until"))
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > history.MaxLimit {
			return f, fmt.Errorf("limit: invalid value %q: expected an integer from 1 to %d", l, history.MaxLimit)
		}
	}
	return f, nil
}

// parseTime parses the value s of parameter name; "" is no bound.
func parseTime(name, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, ok := time.Time{}, false
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t, ok = v, true
	} else if v, err := time.Parse(time.DateOnly, s); err == nil {
		t, ok = v, true
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 && d <= now.Sub(minTime) {
		t, ok = now.Add(-d), true
	}
	switch {
	case !ok:
		return t, fmt.Errorf("%s: invalid time %q: expected RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) "+
			"or a duration ago (15m) back to %s at most", name, s, minTime.Format(time.DateOnly))
	case t.Before(minTime) || !t.Before(maxTime):
		return t, fmt.Errorf("%s: time %q is out of range: expected from %s to before %s", name, s,
			minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339))
	}
	return t, nil
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	s.query(w, r, func(ctx context.Context, f history.Filter) (any, error) {
		recs, err := s.opts.History.Query(ctx, f)
		return redactRecords(recs), err
	})
}

func (s *Server) outages(w http.ResponseWriter, r *http.Request) {
	s.query(w, r, func(ctx context.Context, f history.Filter) (any, error) {
		ts, err := s.opts.History.Transitions(ctx, f)
		return redactTransitions(ts), err
	})
}

// query parses the filter, runs q and writes {"items": ...} or the error.
func (s *Server) query(w http.ResponseWriter, r *http.Request, q func(context.Context, history.Filter) (any, error)) {
	f, err := parseFilter(r.URL.Query(), time.Now())
	if err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	items, err := q(r.Context(), f)
	if err != nil {
		WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
