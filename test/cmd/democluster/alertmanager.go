package main

import (
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
	if errors.Is(err, os.ErrNotExist) {
		return nil
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
	return os.RemoveAll(amDir())
}
