package main

import (
	"bufio"
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// drops reads the responder's drop counter, keyed "transport/reason".
func drops(reg *prometheus.Registry) (map[string]float64, error) {
	families, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "swarmlink_peer_dropped_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			out[l["transport"]+"/"+l["reason"]] = m.GetCounter().GetValue()
		}
	}
	return out, nil
}

// deltas are the non-zero increases from before to after.
func deltas(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// udpSNMP reads the host's UDP counters from /proc/net/snmp (a header line
// and a value line, both starting "Udp:"); empty when unreadable.
func udpSNMP() map[string]int64 {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 1 && fields[0] == "Udp:" {
			lines = append(lines, fields[1:])
		}
	}
	out := map[string]int64{}
	if len(lines) == 2 && len(lines[0]) == len(lines[1]) {
		for i, name := range lines[0] {
			out[name], _ = strconv.ParseInt(lines[1][i], 10, 64)
		}
	}
	return out
}

// timeWait is the host's count of TCP sockets in TIME_WAIT (the "tw" field
// of /proc/net/sockstat); -1 when unreadable. Every probe opens a new
// connection, and on loopback many of them make connect() itself dearer.
func timeWait() int64 {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		for i := 1; len(f) > 0 && f[0] == "TCP:" && i+1 < len(f); i += 2 {
			if f[i] == "tw" {
				n, _ := strconv.ParseInt(f[i+1], 10, 64)
				return n
			}
		}
	}
	return -1
}

// rssKiB is this process's resident set (VmRSS in /proc/self/status), in
// KiB; 0 when unreadable.
func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// sampleRSS samples VmRSS every period until ctx is done, the first sample
// at once.
func sampleRSS(ctx context.Context, every time.Duration) []int64 {
	out := []int64{rssKiB()}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return append(out, rssKiB())
		case <-t.C:
			out = append(out, rssKiB())
		}
	}
}

// percentile returns the p-th percentile (0 < p <= 1) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// summary is a label's figures in one phase.
type summary struct {
	ops, errs     int64
	rate          float64 // successful requests per second
	p50, p90, p99 time.Duration
}

func summarise(s *stats) summary {
	if s == nil {
		return summary{}
	}
	lat := slices.Clone(s.lat)
	slices.Sort(lat)
	var errs int64
	for _, n := range s.errs {
		errs += n
	}
	return summary{ops: s.ops, errs: errs, rate: float64(len(lat)) / s.elapsed.Seconds(),
		p50: percentile(lat, 0.50), p90: percentile(lat, 0.90), p99: percentile(lat, 0.99)}
}
