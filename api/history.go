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

// parseFilter reads the history filters from the query string: source,
// destination, path, probe, direction, since, until (RFC 3339 or a duration
// ago such as 15m), limit.
func parseFilter(q url.Values, now time.Time) (history.Filter, error) {
	f := history.Filter{Source: q.Get("source"), Destination: q.Get("destination"), Path: q.Get("path"),
		Probe: q.Get("probe"), Direction: q.Get("direction")}
	var err error
	if f.Since, err = parseTime(q.Get("since"), now); err != nil {
		return f, fmt.Errorf("since: %w", err)
	}
	if f.Until, err = parseTime(q.Get("until"), now); err != nil {
		return f, fmt.Errorf("until: %w", err)
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > 10000 {
			return f, fmt.Errorf("limit: invalid value %q: expected 1-10000", l)
		}
	}
	return f, nil
}

func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: expected RFC 3339 (2026-01-02T15:04:05Z) or a duration ago (15m)", s)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	s.query(w, r, func(ctx context.Context, f history.Filter) (any, error) { return s.opts.History.Query(ctx, f) })
}

func (s *Server) outages(w http.ResponseWriter, r *http.Request) {
	s.query(w, r, func(ctx context.Context, f history.Filter) (any, error) {
		return s.opts.History.Transitions(ctx, f)
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
