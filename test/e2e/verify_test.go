package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// Probe is one check of a verify config, in the agent's config schema.
// It is written as JSON, which YAML decoders read as YAML.
type Probe struct {
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Target  string    `json:"target"`
	Timeout string    `json:"timeout,omitempty"`
	Expect  string    `json:"expect,omitempty"`
	DNS     *DNSOpts  `json:"dns,omitempty"`
	HTTP    *HTTPOpts `json:"http,omitempty"`
}

// DNSOpts are a dns probe's options.
type DNSOpts struct {
	Resolver   string   `json:"resolver,omitempty"`
	Transport  string   `json:"transport,omitempty"`
	MinAnswers int      `json:"min_answers,omitempty"`
	Answers    []string `json:"answers,omitempty"`
}

// HTTPOpts are an http probe's options.
type HTTPOpts struct {
	Status  []int             `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// VerifyReport is `swarmlink verify --format json` output.
type VerifyReport struct {
	Passed  bool          `json:"passed"`
	Results []CheckResult `json:"results"`
	Exit    int           `json:"-"` // the process's exit code
	Raw     string        `json:"-"` // stdout and stderr, for failure messages
}

// CheckResult is one check's outcome in a VerifyReport.
type CheckResult struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	Target          string   `json:"target"`
	Passed          bool     `json:"passed"`
	Reachable       bool     `json:"reachable"`
	Cause           string   `json:"cause"`
	Message         string   `json:"message"`
	DurationSeconds float64  `json:"duration_seconds"`
	Answers         []string `json:"answers"`
}

// Result returns the named result; ok is false when it is missing.
func (r VerifyReport) Result(name string) (CheckResult, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return CheckResult{}, false
}

// String is the raw output, so a failed assertion shows what verify said.
func (r VerifyReport) String() string { return fmt.Sprintf("exit %d:\n%s", r.Exit, r.Raw) }

var configSeq atomic.Int64

// writeConfig writes probes as a verify config in a fresh directory under
// the harness's state dir (visible to every daemon: they share the machine's
// filesystem) and returns the directory.
func writeConfig(probes []Probe) (string, error) {
	dir := filepath.Join(cluster.StateDir, "verify", strconv.FormatInt(configSeq.Add(1), 10))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("config dir: %w", err)
	}
	b, err := json.MarshalIndent(map[string]any{"probes": probes}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), b, 0o644); err != nil {
		return "", fmt.Errorf("writing config: %w", err)
	}
	return dir, nil
}

// parseReport decodes verify's stdout; exit 2 (a config error) and
// undecodable output are errors.
func parseReport(stdout, stderr []byte, exit int) (VerifyReport, error) {
	r := VerifyReport{Exit: exit, Raw: string(stdout) + string(stderr)}
	if exit != 0 && exit != 1 {
		return r, fmt.Errorf("swarmlink verify exited %d: %s", exit, r.Raw)
	}
	if err := json.Unmarshal(stdout, &r); err != nil {
		return r, fmt.Errorf("decoding verify output: %w: %s", err, r.Raw)
	}
	return r, nil
}

// VerifyIn runs `swarmlink verify` in a container from the cluster's image
// on node n, attached to network (a bridge, user-defined or attachable
// overlay network), with the config bind-mounted read-only.
func VerifyIn(ctx context.Context, n *cluster.Node, network string, probes ...Probe) (VerifyReport, error) {
	dir, err := writeConfig(probes)
	if err != nil {
		return VerifyReport{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	id, err := createContainer(ctx, n, containerSpec{network: network,
		cmd:   []string{"verify", "--config", "/cfg/config.yaml", "--format", "json"},
		binds: []string{dir + ":/cfg:ro"}})
	if err != nil {
		return VerifyReport{}, err
	}
	defer removeContainer(n, id)
	exit, err := startAndWait(ctx, n, id)
	if err != nil {
		return VerifyReport{}, err
	}
	stdout, stderr, err := containerLogs(ctx, n, id)
	if err != nil {
		return VerifyReport{}, err
	}
	return parseReport(stdout, stderr, exit)
}

// VerifyOnNode runs the harness's swarmlink binary as a process on node n
// itself (its network, mount and UTS namespaces), not in a container: it
// sees what the host sees, including the host's resolver.
func VerifyOnNode(ctx context.Context, n *cluster.Node, probes ...Probe) (VerifyReport, error) {
	dir, err := writeConfig(probes)
	if err != nil {
		return VerifyReport{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd, err := n.Command(ctx, cluster.BinaryPath(), "verify",
		"--config", filepath.Join(dir, "config.yaml"), "--format", "json")
	if err != nil {
		return VerifyReport{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	exit := cmd.ProcessState.ExitCode()
	if err != nil && exit < 0 {
		return VerifyReport{}, fmt.Errorf("running verify on %s: %w: %s", n.Name, err, stderr.String())
	}
	return parseReport(stdout.Bytes(), stderr.Bytes(), exit)
}

// startAndWait starts a created container and returns its exit code.
func startAndWait(ctx context.Context, n *cluster.Node, id string) (int, error) {
	waitC, errC := n.Client.ContainerWait(ctx, id, container.WaitConditionNextExit)
	if err := n.Client.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return -1, fmt.Errorf("starting container on %s: %w", n.Name, err)
	}
	select {
	case w := <-waitC:
		if w.Error != nil {
			return -1, fmt.Errorf("waiting for container on %s: %s", n.Name, w.Error.Message)
		}
		return int(w.StatusCode), nil
	case err := <-errC:
		return -1, fmt.Errorf("waiting for container on %s: %w", n.Name, err)
	}
}

func containerLogs(ctx context.Context, n *cluster.Node, id string) ([]byte, []byte, error) {
	rc, err := n.Client.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, nil, fmt.Errorf("container logs on %s: %w", n.Name, err)
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil {
		return nil, nil, fmt.Errorf("reading container logs on %s: %w", n.Name, err)
	}
	return stdout.Bytes(), stderr.Bytes(), nil
}
