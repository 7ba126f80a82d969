package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a process the harness made: an engine, its containerd and shims,
// a container's processes, or a command run on a node.
type proc struct {
	pid int
	cmd string
}

// harnessProcs lists live processes that belong to a cluster: their command
// line names StateDir (dockerd, containerd, shims, nsenter'd binaries) or
// their cgroup is under an engine's --cgroup-parent (container processes,
// which survive a killed shim).
func harnessProcs() []proc {
	entries, _ := os.ReadDir("/proc")
	skip := ancestors()
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || len(raw) == 0 { // gone, or a kernel thread / zombie
			continue
		}
		cmd := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		cg, _ := os.ReadFile(filepath.Join(dir, "cgroup"))
		if strings.Contains(cmd, StateDir) || strings.Contains(string(cg), "/"+CgroupPrefix) {
			out = append(out, proc{pid: pid, cmd: cmd})
		}
	}
	return out
}

// ancestors is this process and its parents: a shell whose command line
// happens to name StateDir must not be killed under the test's feet.
func ancestors() map[int]bool {
	out := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !out[pid]; {
		out[pid] = true
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			break
		}
		// Fields after the command, which is in parentheses and may hold spaces.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			break
		}
		pid, _ = strconv.Atoi(f[1])
	}
	return out
}

// killHarnessProcs stops leftover engines gracefully (they stop their
// containers), then kills whatever remains, and waits until none is left.
func killHarnessProcs(ctx context.Context) error {
	signalled := false
	for _, p := range harnessProcs() {
		if strings.HasPrefix(p.cmd, "dockerd ") {
			_ = syscall.Kill(p.pid, syscall.SIGTERM)
			signalled = true
		}
	}
	if signalled {
		_ = Poll(ctx, 20*time.Second, func() (bool, error) { return !anyDockerd(), nil })
	}
	return Poll(ctx, 15*time.Second, func() (bool, error) {
		ps := harnessProcs()
		for _, p := range ps {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		return len(ps) == 0, nil
	})
}

func anyDockerd() bool {
	for _, p := range harnessProcs() {
		if strings.HasPrefix(p.cmd, "dockerd ") {
			return true
		}
	}
	return false
}
