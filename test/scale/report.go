package scale

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// spread returns min, median and max of xs (zeros when empty).
func spread(xs []float64) [3]float64 {
	if len(xs) == 0 {
		return [3]float64{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return [3]float64{s[0], s[len(s)/2], s[len(s)-1]}
}

// Write puts summary.json and table.md in dir.
func Write(dir string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var t strings.Builder
	Table(&t, r)
	return os.WriteFile(filepath.Join(dir, "table.md"), []byte(t.String()), 0o644)
}

// Table writes the human table of one run.
func Table(w io.Writer, r *Result) {
	f3 := func(s [3]float64, p string) string {
		return fmt.Sprintf("%"+p+" / %"+p+" / %"+p, s[0], s[1], s[2])
	}
	mode := r.Mode
	if r.SubsetK > 0 {
		mode = fmt.Sprintf("subset_k=%d", r.SubsetK)
	}
	fmt.Fprintf(w, "| K=%d (%s, interval %gs, timeout %gs) | value |\n|---|---|\n", r.K, mode, r.IntervalS, r.TimeoutS)
	row := func(k, v string, a ...any) { fmt.Fprintf(w, "| %s | %s |\n", k, fmt.Sprintf(v, a...)) }
	row("fault bound", "%.0f s", r.FaultBoundS)
	row("machine", "%d cores, %s, load %s at start", r.Machine.NProc, r.Machine.MemTotal, r.Machine.Load1)
	row("all ready / matrix healthy", "%.1f s / %.1f s", r.ReadyS, r.HealthyS)
	row("cluster probes/s (window)", "%.1f (%.0f s, from %d agents' /metrics)", r.ProbesPerS, r.WindowS, r.SampledAgents)
	row("cluster CPU (cores)", "%.2f", r.CPUCores)
	row("per agent CPU ms/probe min/med/max", "%s", f3(r.PerAgent.CPUMsPerProbe, ".2f"))
	row("per agent RSS MiB min/med/max", "%s", f3(r.PerAgent.RSSMiB, ".1f"))
	row("per agent probes/s min/med/max", "%s", f3(r.PerAgent.ProbesPerS, ".1f"))
	row("per agent /metrics series min/med/max", "%s", f3(r.PerAgent.Series, ".0f"))
	row("per agent CPU ms/s min/med/max", "%s", f3(r.PerAgent.CPUMsPerS, ".1f"))
	row("per agent view fetches/s min/med/max", "%s", f3(r.PerAgent.FetchesPerS, ".2f"))
	row("per agent view KiB/fetch min/med/max", "%s", f3(r.PerAgent.KiBPerFetch, ".1f"))
	for _, m := range r.Matrix {
		if m.Error != "" {
			row("GET /api/v1/matrix from "+m.Node, "error: %s", m.Error)
			continue
		}
		row("GET /api/v1/matrix from "+m.Node, "%v ms, %d KiB, %d cells, %s", m.MillisS, m.Bytes/1024, m.Cells, m.Verdict)
	}
	for _, f := range r.Faults {
		row(f.Fault, "%s seen=%v after %.1f s (findings %s); healthy %.1f s after heal", f.Expect, f.Seen, f.AfterS, findings(f.Findings), f.HealedS)
	}
	h := r.HostAlert
	row("cut "+h.Node+" -> SwarmlinkHostUnreachable", "%.1f s (budget %.0f s, settle %.0f s); firing messages %d (from %v) in %.0f s; other alerts %d",
		h.AfterS, r.AlertBudgetS, r.SettleS, h.Firing, h.Senders, h.WatchedS, len(h.Others))
	row("webhook alerts (whole run)", "%v, bad signatures %d", r.Alerts, r.BadSigs)
	row("screenshot", "%s", r.Screenshot)
	row("leftovers / errors", "%v / %v", r.Leftovers, r.Errors)
	row("run", "%.0f s", r.TotalS)
}

func findings(fs []Finding) string {
	var s []string
	for _, f := range fs {
		x := f.Kind
		if f.Node != "" {
			x += " " + f.Node
		}
		if f.From != "" {
			x += " " + f.From + "->" + f.To
		}
		s = append(s, x)
	}
	return strings.Join(s, ", ")
}

// writeJSON writes v indented to file, best effort: it is evidence, not the
// summary.
func writeJSON(file string, v any) {
	if b, err := json.MarshalIndent(v, "", "  "); err == nil {
		_ = os.WriteFile(file, append(b, '\n'), 0o644)
	}
}
