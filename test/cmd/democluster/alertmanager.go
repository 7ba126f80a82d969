package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The demo's Alertmanager: Debian's prometheus-alertmanager in the root
// namespace, on the underlay bridge, where every agent reaches it.
const (
	alertmanagerBin  = "/usr/bin/prometheus-alertmanager"
	alertmanagerPort = "9093"
	amConfig         = "route: {receiver: demo, group_wait: 1s, group_interval: 5s, repeat_interval: 1h}\nreceivers: [{name: demo}]\n"
)

func amDir() string     { return filepath.Join(os.TempDir(), "swarmlink-demo-alertmanager") }
func amPidFile() string { return filepath.Join(amDir(), "pid") }
func amURL() string     { return "http://" + cluster.BridgeAddr + ":" + alertmanagerPort }

// demoConfig is the chart's agent config with alerting on, pointed at the
// demo's Alertmanager; written where Options.Config can read it.
func demoConfig(repo string) (string, error) {
	chart, err := os.ReadFile(filepath.Join(repo, "charts", "swarm", "swarmlink.yml"))
	if err != nil {
		return "", fmt.Errorf("reading the chart's config: %w", err)
	}
	cfg := string(chart) + "\n# The demo's Alertmanager (democluster).\nalerting:\n  enabled: true\n  grace: 20s\n" +
		"  alertmanager: {url: " + amURL() + "}\n"
	if err := os.MkdirAll(amDir(), 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(amDir(), "swarmlink.yml")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

// startAlertmanager runs Alertmanager detached (it outlives this process,
// like the demo) and waits until it answers.
func startAlertmanager(ctx context.Context) error {
	if _, err := os.Stat(alertmanagerBin); err != nil {
		return fmt.Errorf("alertmanager: %w (apt-get install prometheus-alertmanager)", err)
	}
	dir := amDir()
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(amConfig), 0o644); err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(alertmanagerBin, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+cluster.BridgeAddr+":"+alertmanagerPort,
		"--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr, cmd.SysProcAttr = log, log, &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting alertmanager: %w", err)
	}
	if err := os.WriteFile(amPidFile(), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	return cluster.Poll(ctx, 30*time.Second, func() (bool, error) {
		resp, err := http.Get(amURL() + "/-/ready")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// stopAlertmanager stops the demo's Alertmanager, if it runs.
func stopAlertmanager() error {
	b, err := os.ReadFile(amPidFile())
	if errors.Is(err, os.ErrNotExist) { // not running: what an interrupted demo-down left goes too
		return os.RemoveAll(amDir())
	}
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%s: %w", amPidFile(), err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping alertmanager: %w", err)
	}
	// It writes its silences and notification log to the data dir as it
	// exits: removing the dir before it is gone fails with "directory not
	// empty" (CI, 2026-12-04).
	if !waitGone(pid, 10*time.Second) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if !waitGone(pid, 5*time.Second) {
			return fmt.Errorf("stopping alertmanager: pid %d still runs 15 s after SIGTERM", pid)
		}
	}
	return os.RemoveAll(amDir())
}

// waitGone waits up to bound for pid to exit, and says whether it did. A
// zombie counts as gone: the process that started it has exited, and
// whoever inherited it may not reap it at once.
func waitGone(pid int, bound time.Duration) bool {
	for deadline := time.Now().Add(bound); ; time.Sleep(100 * time.Millisecond) {
		if !running(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}
