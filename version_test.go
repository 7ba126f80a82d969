package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMakeBuildVersion builds the binary the way `make build` does and
// checks that `swarmlink version` names the commit: git describe as the
// version and the full revision, never a bare "dev".
func TestMakeBuildVersion(t *testing.T) {
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: cannot check the make build's version", tool)
		}
	}
	if err := exec.Command("git", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not a git checkout (a source archive): make build has no commit to name")
	}
	describe := run(t, "git", "describe", "--tags", "--always", "--dirty")
	rev := run(t, "git", "rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "swarmlink")
	run(t, "make", "-s", "build", "BIN="+bin)
	got := run(t, bin, "version")
	if !strings.HasPrefix(got, "swarmlink "+describe+" (revision "+rev+", go") {
		t.Fatalf("swarmlink version = %q, want the version %q and revision %q", got, describe, rev)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	// An outer make (make test-unit VERSION=x) must not leak its variables
	// into the build under test.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains([]string{"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VERSION", "REVISION"}, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}
