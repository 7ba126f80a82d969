package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/history"
)

type fuzzHistory struct{}

func (fuzzHistory) Query(context.Context, history.Filter) ([]history.Record, error) { return nil, nil }
func (fuzzHistory) Transitions(context.Context, history.Filter) ([]history.Transition, error) {
	return nil, nil
}

// FuzzQueryParams feeds arbitrary query strings to the history filter
// parser and to the history endpoint: they must never panic, an accepted
// filter must be within the store's range (times 1970 to 2262, since not
// after until, limit 0 or 1 to history.MaxLimit), and the endpoint answers
// 200 or a 400 whose JSON names the problem.
//
//	go test ./api -run '^$' -fuzz FuzzQueryParams -fuzztime 5m
func FuzzQueryParams(f *testing.F) {
	for _, q := range []string{"since=1h&limit=5", "since=2300-01-01", "until=2026-01-02T15:04:05.999999999+14:00",
		"since=9223372036854775807ns", "limit=-1", "since=2026-01-02&until=2026-01-01", "source=a&source=b&%zz",
		"since=0001-01-01T00:00:00Z", "until=2262-04-11T23:47:16.854775807Z", "since=-0s", "limit=+10000"} {
		f.Add(q)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	h := New(Options{History: fuzzHistory{}, Log: zap.NewNop()}).Handler()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := parseFilter(q, now)
		if err == nil {
			checkFilter(t, flt)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/api/v1/history", RawQuery: raw},
			Header: http.Header{}})
		var doc map[string]any
		switch {
		case rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest:
			t.Fatalf("status %d for %q", rec.Code, raw)
		case json.Unmarshal(rec.Body.Bytes(), &doc) != nil:
			t.Fatalf("answer to %q is not JSON: %q", raw, rec.Body.String())
		case rec.Code == http.StatusBadRequest && doc["error"] == "":
			t.Fatalf("400 without an error for %q", raw)
		}
	})
}

func checkFilter(t *testing.T, f history.Filter) {
	t.Helper()
	for _, tm := range []time.Time{f.Since, f.Until} {
		if !tm.IsZero() && (tm.Before(minTime) || !tm.Before(maxTime)) {
			t.Fatalf("accepted time %s out of range", tm)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Since.After(f.Until) {
		t.Fatalf("accepted since %s after until %s", f.Since, f.Until)
	}
	if f.Limit < 0 || f.Limit > history.MaxLimit {
		t.Fatalf("accepted limit %d", f.Limit)
	}
}
