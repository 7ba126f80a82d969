// Package report owns swarmlink's verification reports: the result of
// running every check once (the nightly full verification), its diff against
// the previous report, its JSON, Markdown and self-contained HTML renderings,
// and the last Retention reports kept in a durable key/value bucket.
//
// Reports are plain values: Build is a pure function and the renderers only
// write. Nothing here runs checks or knows the controller; the caller turns
// its outcomes into Items.
package report

import (
	"github.com/swarmlink/swarmlink/links"

	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Item is one check's outcome.
type Item struct {
	Key             string  `json:"key"` // the check's stable key: what the diff compares
	Name            string  `json:"name"`
	Source          string  `json:"source"`
	Destination     string  `json:"destination"`
	Path            string  `json:"path"`
	Kind            string  `json:"kind"`
	Passed          bool    `json:"passed"`
	Cause           string  `json:"cause"`
	Message         string  `json:"message,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Totals count a report's items.
type Totals struct {
	Total  int `json:"total"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Diff compares a report with the previous one, by check key, sorted.
type Diff struct {
	Previous    string   `json:"previous,omitempty"` // ID of the report compared with; "" if none
	NewFailures []string `json:"new_failures"`       // failing now; passing or absent before
	Fixed       []string `json:"fixed"`              // failing before, passing now
	StillBroken []string `json:"still_broken"`       // failing before and now
}

// Report is one verification run.
type Report struct {
	ID     string    `json:"id"` // sortable by time: 20261127T030000Z-nightly
	Name   string    `json:"name"`
	At     time.Time `json:"at"`
	Totals Totals    `json:"summary"`
	Items  []Item    `json:"items"` // failures first, then by key
	Diff   Diff      `json:"diff"`

	// Diagnosis is the cluster's diagnosis right after the run: the same
	// findings the matrix, status and alerts give.
	Diagnosis *links.Diagnosis `json:"diagnosis,omitempty"`
}

// Build makes the report of the run name at at from its items, compared
// with prev (nil for the first report). An item whose key was seen already
// is dropped.
func Build(name string, at time.Time, items []Item, prev *Report) Report {
	at = at.UTC()
	r := Report{ID: at.Format("20060102T150405Z") + "-" + slug(name), Name: name, At: at, Items: []Item{}}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.Key] {
			continue
		}
		seen[it.Key] = true
		r.Items = append(r.Items, it)
		r.Totals.Total++
		if it.Passed {
			r.Totals.Passed++
		} else {
			r.Totals.Failed++
		}
	}
	slices.SortFunc(r.Items, func(a, b Item) int {
		return cmp.Or(compareBool(a.Passed, b.Passed), cmp.Compare(a.Key, b.Key))
	})
	r.Diff = diff(r.Items, prev)
	return r
}

func diff(items []Item, prev *Report) Diff {
	d := Diff{NewFailures: []string{}, Fixed: []string{}, StillBroken: []string{}}
	before := map[string]bool{} // key -> passed
	if prev != nil {
		d.Previous = prev.ID
		for _, it := range prev.Items {
			before[it.Key] = it.Passed
		}
	}
	for _, it := range items {
		passedBefore, known := before[it.Key]
		switch {
		case !it.Passed && known && !passedBefore:
			d.StillBroken = append(d.StillBroken, it.Key)
		case !it.Passed:
			d.NewFailures = append(d.NewFailures, it.Key)
		case known && !passedBefore:
			d.Fixed = append(d.Fixed, it.Key)
		}
	}
	slices.Sort(d.NewFailures)
	slices.Sort(d.Fixed)
	slices.Sort(d.StillBroken)
	return d
}

// compareBool orders false before true: failures first.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// Title is the report's heading, e.g. "Nightly verification 2026-11-27 03:00 UTC".
func (r Report) Title() string {
	name := []rune(cmp.Or(r.Name, "full"))
	name[0] = unicode.ToUpper(name[0])
	return fmt.Sprintf("%s verification %s", string(name), r.At.UTC().Format("2006-01-02 15:04 UTC"))
}

// Summary is the one-line text for notifiers, e.g. "Nightly verification
// 2026-11-27 03:00 UTC: 42 checks, 2 failed (1 new, 1 fixed, 1 still broken)".
func (r Report) Summary() string {
	return fmt.Sprintf("%s: %d checks, %d failed (%d new, %d fixed, %d still broken)", r.Title(),
		r.Totals.Total, r.Totals.Failed, len(r.Diff.NewFailures), len(r.Diff.Fixed), len(r.Diff.StillBroken))
}

// Item returns the item with key, if the report has it.
func (r Report) Item(key string) (Item, bool) {
	i := slices.IndexFunc(r.Items, func(it Item) bool { return it.Key == key })
	if i < 0 {
		return Item{}, false
	}
	return r.Items[i], true
}

// slug keeps a name usable in an ID: lower-case letters, digits, '-', '_', '.'.
func slug(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return unicode.ToLower(r)
		}
		return '-'
	}, name)
	return cmp.Or(s, "report")
}
