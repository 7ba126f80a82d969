package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// iptablesTables are the root-namespace tables searched for harness rules.
var iptablesTables = []string{"filter", "nat", "mangle", "raw"}

// rule is one iptables rule as printed by `iptables -S` (spec[0] is "-A").
type rule struct {
	table string
	spec  []string
}

// leftoverRules lists root-namespace rules the harness inserted: those
// carrying its comment or naming its bridge.
func leftoverRules(ctx context.Context) []rule {
	var out []rule
	for _, t := range iptablesTables {
		text, err := run(ctx, "iptables", "-t", t, "-S")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "-A ") {
				continue
			}
			if strings.Contains(line, RuleComment) || strings.Contains(line, Bridge) {
				out = append(out, rule{table: t, spec: strings.Fields(line)})
			}
		}
	}
	return out
}

// leftoverNetns lists network namespaces with the harness prefix, both as
// `ip netns` knows them and as files pinned under /var/run/netns.
func leftoverNetns(ctx context.Context) []string {
	seen := map[string]bool{}
	var out []string
	text, _ := run(ctx, "ip", "netns", "list")
	files, _ := filepath.Glob(netnsPath(Prefix + "*"))
	names := strings.Split(text, "\n")
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for _, line := range names {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], Prefix) && !seen[f[0]] {
			seen[f[0]] = true
			out = append(out, f[0])
		}
	}
	return out
}

// leftoverLinks lists root-namespace links with the harness prefix.
func leftoverLinks(ctx context.Context) []string {
	text, _ := run(ctx, "ip", "-o", "link", "show")
	var out []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(f[1], ":")
		name, _, _ = strings.Cut(name, "@") // veth ends print as name@peer
		if strings.HasPrefix(name, Prefix) {
			out = append(out, name)
		}
	}
	return out
}

func linkExists(ctx context.Context, name string) bool {
	_, err := run(ctx, "ip", "link", "show", name)
	return err == nil
}

// LeakCheck reports everything with the harness's names that still exists:
// namespaces, links, root iptables rules, mounts, processes, cgroups, the
// state directory and the lock file. It returns nil when nothing is left.
func LeakCheck(ctx context.Context) error {
	var leaks []string
	add := func(kind string, items ...string) {
		for _, it := range items {
			leaks = append(leaks, kind+" "+it)
		}
	}
	add("netns", leftoverNetns(ctx)...)
	add("link", leftoverLinks(ctx)...)
	for _, r := range leftoverRules(ctx) {
		add("iptables", "-t "+r.table+" "+strings.Join(r.spec, " "))
	}
	add("mount", harnessMounts()...)
	for _, p := range harnessProcs() {
		add("process", fmt.Sprintf("%d %s", p.pid, p.cmd))
	}
	add("cgroup", harnessCgroups()...)
	for _, path := range []string{StateDir, LockFile} {
		if _, err := os.Lstat(path); err == nil {
			add("path", path)
		}
	}
	if len(leaks) > 0 {
		return errors.New("leak check: left behind:\n  " + strings.Join(leaks, "\n  "))
	}
	return nil
}
