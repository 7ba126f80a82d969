package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/swarmlink/swarmlink/links"
)

var marks = map[links.State]string{links.Healthy: "ok", links.Failing: "FAIL", links.Degraded: "LOSS",
	links.Pending: "...", links.Unknown: "?"}

// ANSI colours by state and severity.
var colors = map[string]string{string(links.Healthy): "32", string(links.Failing): "31", string(links.Degraded): "33",
	string(links.Unknown): "90", string(links.Pending): "90", links.SeverityCritical: "1;31",
	links.SeverityWarning: "33", links.SeverityInfo: "90"}

// paint colours s for key when color is on.
func paint(color bool, key, s string) string {
	if c, ok := colors[key]; ok && color {
		return "\x1b[" + c + "m" + s + "\x1b[0m"
	}
	return s
}

// printDiagnosis prints the verdict and findings, then one grid per path:
// rows are sources, columns destinations.
func printDiagnosis(w io.Writer, d links.Diagnosis, color bool) {
	fmt.Fprintf(w, "verdict: %s (asked %s)\n", paint(color, string(d.Verdict), string(d.Verdict)), d.Self)
	if d.CutOff {
		fmt.Fprintf(w, "  %s\n", paint(color, links.SeverityCritical,
			d.Self+" IS CUT OFF: what follows is its own side only"))
	}
	for _, n := range d.Nodes {
		if v := d.Views[n]; v.Missing != "" {
			fmt.Fprintf(w, "  no view from %s: %s\n", n, v.Missing)
		}
	}
	for _, f := range d.Findings {
		fmt.Fprintf(w, "  %s %s [%s, cause %s]\n", paint(color, f.Severity, fmt.Sprintf("%-8s", f.Severity)),
			f.Summary, f.Kind, f.Cause)
		if f.Advice != "" {
			fmt.Fprintf(w, "           advice: %s\n", f.Advice)
		}
	}
	fmt.Fprintln(w)
	cells := map[[3]string]links.Cell{}
	for _, c := range d.Cells {
		cells[[3]string{c.Path, c.From, c.To}] = c
	}
	for _, p := range d.Paths {
		printGrid(w, d, p, cells, color)
	}
}

// printGrid prints one path's grid. Colour codes go around the padded
// text, so the columns stay aligned.
func printGrid(w io.Writer, d links.Diagnosis, path string, cells map[[3]string]links.Cell, color bool) {
	fmt.Fprintf(w, "path %s (row → column)\n", path)
	rows := [][]string{append([]string{`from\to`}, d.Nodes...)}
	states := [][]string{make([]string, len(d.Nodes)+1)}
	for _, from := range d.Nodes {
		row, st := []string{from}, []string{""}
		for _, to := range d.Nodes {
			mark, state := "-", ""
			if c, ok := cells[[3]string{path, from, to}]; ok {
				mark, state = marks[c.State], string(c.State)
				if c.Cause != "" && c.State != links.Healthy {
					mark += " " + c.Cause
				}
			}
			row, st = append(row, mark), append(st, state)
		}
		rows, states = append(rows, row), append(states, st)
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for i, r := range rows {
		var b strings.Builder
		for j, c := range r {
			pad := c + strings.Repeat(" ", widths[j]-len([]rune(c))+2)
			b.WriteString(paint(color, states[i][j], pad))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w)
}
