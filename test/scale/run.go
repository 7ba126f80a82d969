package scale

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// run runs a program and returns its error with its output in it.
func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// inNS runs a program in namespace ns's network namespace only.
func inNS(ctx context.Context, ns, name string, args ...string) error {
	return run(ctx, "nsenter", append([]string{"--net=" + nsPath(ns), name}, args...)...)
}
