package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report prints the table of every phase, then the ratios of the same run.
func report(w io.Writer, cfg config, order []string, results map[string]*result) {
	sums := map[string]summary{} // "phase|label"
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tclient\trequests\terrors\treq/s\tp50\tp90\tp99\tresponder drops\t")
	for _, name := range order {
		r := results[name]
		for _, label := range slices.Sorted(maps.Keys(r.stats)) {
			s := summarise(r.stats[label])
			sums[name+"|"+label] = s
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", name, label, s.ops, s.errs, s.rate,
				us(s.p50), us(s.p90), us(s.p99), dropsOf(r.drops, label))
		}
	}
	_ = tw.Flush()
	failures(w, order, results)
	fmt.Fprintln(w, "\nratios (same run; latency >1 = slower, throughput <1 = fewer successful req/s):")
	for _, tr := range []string{"tcp", "udp"} {
		ratioLine(w, tr+" responder/baseline", sums[tr+"/baseline|"+tr], sums[tr+"/responder|"+tr])
	}
	for _, tr := range []string{"tcp", "udp"} {
		ratioLine(w, tr+" legit abuse/no-abuse", sums["mixed/no-abuse|"+tr], sums["mixed/abuse|"+tr])
	}
	for _, name := range order {
		if r := results[name]; r.abuse != nil {
			abuseLines(w, cfg, r)
		}
	}
}

// failures lists every failed request by phase, client and cause, with
// the first one's detail.
func failures(w io.Writer, order []string, results map[string]*result) {
	for _, name := range order {
		r := results[name]
		for _, label := range slices.Sorted(maps.Keys(r.stats)) {
			s := r.stats[label]
			for _, cause := range slices.Sorted(maps.Keys(s.errs)) {
				fmt.Fprintf(w, "  failed: %s %s: %d %s, first: %s\n", r.phase, label, s.errs[cause], cause, s.sample[cause])
			}
		}
	}
}

func ratioLine(w io.Writer, name string, base, x summary) {
	fmt.Fprintf(w, "  %-30s throughput %5.2fx  p50 %5.2fx  p90 %5.2fx  p99 %5.2fx  errors %d vs %d\n", name,
		ratio(x.rate, base.rate), ratio(float64(x.p50), float64(base.p50)),
		ratio(float64(x.p90), float64(base.p90)), ratio(float64(x.p99), float64(base.p99)), x.errs, base.errs)
}

func abuseLines(w io.Writer, cfg config, r *result) {
	a := r.abuse
	secs := a.elapsed.Seconds()
	udp, frames := a.sent.udpSent.Load(), a.sent.frames.Load()
	fmt.Fprintf(w, "\nabuse (%s): %d unauthenticated UDP datagrams of %d B (%.0f/s, %d refused locally), "+
		"%d bad TCP frames (%.0f/s, %d closed by the responder, %d failed to send), %d idle TCP connections opened\n",
		r.phase, udp, cfg.floodSize, float64(udp)/secs, a.sent.udpErrs.Load(), frames, float64(frames)/secs,
		a.sent.closed.Load(), a.sent.frameErrs.Load(), a.sent.idleDialed.Load())
	fmt.Fprintf(w, "  responder drops: %s\n", dropsOf(r.drops, ""))
	fmt.Fprintf(w, "  dropped by the responder / sent: udp %.3f (the rest: host UDP RcvbufErrors +%d), tcp %.3f\n",
		ratio(sumPrefix(r.drops, "udp/"), float64(udp)), a.kernelRcvbufErr,
		ratio(r.drops["tcp/oversized"]+r.drops["tcp/bad_mac"]+r.drops["tcp/malformed"], float64(frames)))
	n := len(a.rss)
	if n == 0 {
		return
	}
	start, mid, end, peak := a.rss[0], a.rss[n/2], a.rss[n-1], slices.Max(a.rss)
	fmt.Fprintf(w, "  VmRSS: start %s, middle %s, end %s, peak %s; end/middle %.2fx, end/start %.2fx; "+
		"after GC+FreeOSMemory %s\n", mib(start), mib(mid), mib(end), mib(peak),
		ratio(float64(end), float64(mid)), ratio(float64(end), float64(start)), mib(a.rssAfterFree))
	fmt.Fprintf(w, "  live heap after GC: before %.1f MiB, after %.1f MiB (%.2fx); goroutines before %d, after %d\n",
		float64(a.heapBefore)/(1<<20), float64(a.heapAfter)/(1<<20),
		ratio(float64(a.heapAfter), float64(a.heapBefore)), a.procs[0], a.procs[1])
}

// dropsOf formats the drops of one transport ("" = all), largest first.
func dropsOf(drops map[string]float64, transport string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(drops)) {
		if transport == "" || strings.HasPrefix(k, transport+"/") {
			parts = append(parts, fmt.Sprintf("%s=%.0f", k, drops[k]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func ratio(x, base float64) float64 {
	if base == 0 {
		return 0
	}
	return x / base
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
