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
	self := os.Getpid()
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
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
