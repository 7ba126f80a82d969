package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Cleanup removes everything a cluster run may have left, found by name:
// processes, cgroups, mounts, namespaces, links, iptables rules and the
// state directory. It is what Down does after stopping the engines, and
// what Up does first, so a run killed with SIGKILL is cleaned by the next.
// The caller must hold the cluster lock (Up, Down and WithLock do).
func Cleanup(ctx context.Context) error {
	errs := []error{killHarnessProcs(ctx)}
	errs = append(errs, removeCgroups()...)
	errs = append(errs, unmountAll(ctx)...)
	for _, ns := range leftoverNetns(ctx) {
		if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, l := range leftoverLinks(ctx) {
		if _, err := run(ctx, "ip", "link", "del", l); err != nil && linkExists(ctx, l) {
			errs = append(errs, err) // deleting one veth end takes the other too
		}
	}
	for _, r := range leftoverRules(ctx) {
		args := append([]string{"-t", r.table, "-D"}, r.spec[1:]...)
		if _, err := run(ctx, "iptables", args...); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(StateDir); err != nil {
		errs = append(errs, fmt.Errorf("removing %s: %w", StateDir, err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}

// harnessCgroups lists cgroup directories made by the engines'
// --cgroup-parent, in every v1 hierarchy and the unified one.
func harnessCgroups() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + CgroupPrefix + "*")
	more, _ := filepath.Glob("/sys/fs/cgroup/" + CgroupPrefix + "*")
	return append(dirs, more...)
}

// removeCgroups removes the harness's cgroup trees, deepest first. A cgroup
// directory is removed with rmdir, never with its (virtual) files.
func removeCgroups() []error {
	var all []string
	for _, root := range harnessCgroups() {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				all = append(all, p)
			}
			return nil
		})
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	var errs []error
	for _, d := range all {
		if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
		}
	}
	return errs
}

// harnessMounts lists mount points in this mount namespace under StateDir or
// pinning a harness network namespace, deepest first.
func harnessMounts() []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := f[4]
		if strings.HasPrefix(mp, StateDir) || strings.HasPrefix(mp, "/run/netns/"+Prefix) ||
			strings.HasPrefix(mp, "/var/run/netns/"+Prefix) {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// unmountAll lazily unmounts what the engines left mounted. With each engine
// in its own mount namespace there is normally nothing; this covers engines
// started some other way.
func unmountAll(ctx context.Context) []error {
	var errs []error
	for _, mp := range harnessMounts() {
		if _, err := run(ctx, "umount", "-R", "-l", mp); err != nil && contains(harnessMounts(), mp) {
			errs = append(errs, err)
		}
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
