package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KV is the durable key/value bucket reports are kept in; history.KV
// implements it. Values are JSON.
type KV interface {
	Put(key string, v any) error
	Get(key string, v any) (bool, error)
	Delete(key string) error
	ForEach(fn func(key string, value json.RawMessage) error) error
}

// Bucket is the store bucket the caller is expected to hand to Save and
// friends.
const Bucket = "reports"

// Retention is how many reports Save keeps; older ones are deleted.
const Retention = 60

// Meta describes a stored report without its items.
type Meta struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	At          time.Time `json:"at"`
	Totals      Totals    `json:"summary"`
	NewFailures int       `json:"new_failures"`
	Fixed       int       `json:"fixed"`
	StillBroken int       `json:"still_broken"`
	Summary     string    `json:"summary_text"`
}

// Save stores r under its ID and deletes all but the newest Retention reports.
func Save(kv KV, r Report) error {
	if err := kv.Put(r.ID, r); err != nil {
		return fmt.Errorf("saving report %s: %w", r.ID, err)
	}
	var keys []string
	if err := kv.ForEach(func(key string, _ json.RawMessage) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		return fmt.Errorf("listing reports for retention: %w", err)
	}
	slices.Sort(keys)
	for _, key := range keys[:max(0, len(keys)-Retention)] {
		if err := kv.Delete(key); err != nil {
			return fmt.Errorf("pruning report %s: %w", key, err)
		}
	}
	return nil
}

// List describes every stored report, newest first.
func List(kv KV) ([]Meta, error) {
	out := []Meta{}
	err := kv.ForEach(func(key string, raw json.RawMessage) error {
		var r Report
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decoding report %s: %w", key, err)
		}
		out = append(out, Meta{ID: r.ID, Name: r.Name, At: r.At, Totals: r.Totals,
			NewFailures: len(r.Diff.NewFailures), Fixed: len(r.Diff.Fixed), StillBroken: len(r.Diff.StillBroken),
			Summary: r.Summary()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing reports: %w", err)
	}
	slices.SortFunc(out, func(a, b Meta) int { return strings.Compare(b.ID, a.ID) }) // IDs start with the time
	return out, nil
}

// Get returns the report with id and whether it exists.
func Get(kv KV, id string) (Report, bool, error) {
	var r Report
	found, err := kv.Get(id, &r)
	if err != nil {
		return Report{}, false, fmt.Errorf("reading report %s: %w", id, err)
	}
	return r, found, nil
}

// Latest returns the newest report and whether there is one.
func Latest(kv KV) (Report, bool, error) {
	last := ""
	if err := kv.ForEach(func(key string, _ json.RawMessage) error {
		last = max(last, key)
		return nil
	}); err != nil {
		return Report{}, false, fmt.Errorf("finding the latest report: %w", err)
	}
	if last == "" {
		return Report{}, false, nil
	}
	return Get(kv, last)
}
