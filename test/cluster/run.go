package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// run runs a command to completion and returns its combined output. A
// failure names the command and carries its output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	return runEnv(ctx, nil, name, args...)
}

// runEnv is run with extra environment variables (KEY=VALUE).
func runEnv(ctx context.Context, env []string, name string, args ...string) (string, error) {
	return runDir(ctx, "", env, name, args...)
}

// runDir is runEnv in the working directory dir ("" for the current one).
func runDir(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if err != nil {
		return text, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, text)
	}
	return text, nil
}

// nsRun runs a command in the network namespace ns. It uses nsenter, not
// `ip netns exec`, which remounts /sys and breaks dockerd.
func nsRun(ctx context.Context, ns string, args ...string) (string, error) {
	return run(ctx, "nsenter", append([]string{"--net=" + netnsPath(ns)}, args...)...)
}

// runAll runs commands in order and stops at the first failure.
func runAll(ctx context.Context, cmds [][]string) error {
	for _, c := range cmds {
		if _, err := run(ctx, c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}
