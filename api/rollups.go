package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/swarmlink/swarmlink/history"
)

// Rollups answers per-bucket summaries of one link's results. The history
// store implements it; the server finds it on Options.History, so a History
// without it (a test fake) answers 501 here and nothing else changes.
type Rollups interface {
	Rollups(ctx context.Context, f history.Filter, step time.Duration) ([]history.Rollup, error)
}

var _ Rollups = (*history.Store)(nil)

// defaultRollupRange is the window when since is not given.
const defaultRollupRange = time.Hour

// rollups serves GET /api/v1/rollups?source=&destination=&path=&probe=
// [&direction=][&since=][&until=][&step=]: one link's RTT p50/p99, loss and
// failures per minute (or per step, whole minutes), oldest first, as
// {"items": [...]}; [] when nothing was recorded.
func (s *Server) rollups(w http.ResponseWriter, r *http.Request) {
	store, ok := s.opts.History.(Rollups)
	if !ok {
		WriteJSON(w, http.StatusNotImplemented, map[string]string{"error": "this history has no rollups"})
		return
	}
	f, step, err := parseRollup(r.URL.Query(), time.Now())
	if err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	items, err := store.Rollups(r.Context(), f, step)
	switch {
	case errors.Is(err, history.ErrRollupBounds):
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case err != nil:
		WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	}
}

// parseRollup reads one link and its window. The link's four names are
// required: a percentile over several links answers no question. until
// defaults to now, since to an hour before until, step to a minute.
func parseRollup(q url.Values, now time.Time) (history.Filter, time.Duration, error) {
	f := history.Filter{Source: q.Get("source"), Destination: q.Get("destination"), Path: q.Get("path"),
		Probe: q.Get("probe"), Direction: q.Get("direction")}
	for _, p := range []struct{ name, value string }{{"source", f.Source}, {"destination", f.Destination},
		{"path", f.Path}, {"probe", f.Probe}} {
		if p.value == "" {
			return f, 0, fmt.Errorf("%s: required: rollups are of one link (source, destination, path, probe)", p.name)
		}
	}
	var err error
	if f.Until, err = parseTime("until", q.Get("until"), now); err != nil {
		return f, 0, err
	}
	if f.Until.IsZero() {
		f.Until = now
	}
	if f.Since, err = parseTime("since", q.Get("since"), now); err != nil {
		return f, 0, err
	}
	if f.Since.IsZero() {
		f.Since = f.Until.Add(-defaultRollupRange)
	}
	step := history.MinRollupStep
	if v := q.Get("step"); v != "" {
		if step, err = time.ParseDuration(v); err != nil {
			return f, 0, fmt.Errorf("step: invalid value %q: expected a whole number of minutes (1m, 5m)", v)
		}
	}
	return f, step, nil
}
