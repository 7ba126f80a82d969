package scale

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Options shape one run.
type Options struct {
	K          int           // agents
	SubsetK    int           // mesh.subset_k; 0 = full mesh
	Interval   time.Duration // mesh.interval
	Timeout    time.Duration // mesh.timeout
	Window     time.Duration // steady-state measurement window
	Sample     int           // agents whose /metrics the window reads
	Screenshot bool          // render node1's UI with chromium
	MaxWait    time.Duration // longest wait for a fault's finding or alert
	Settle     time.Duration // alerting.settle; 0 is the agent's default (one fresh gathering of the views)
	Faults     string        // which faults: "all", "links" (inbound, one-way), "host" (the cut), "none"
	Wave       int           // agents started together; the next wave waits for them to answer (0: all at once)
	GoMaxProcs int           // GOMAXPROCS of every agent; 0: Go's default (the machine's cores)
	Binary     string        // the swarmlink binary to run
	Results    string        // results directory
	Progress   io.Writer     // one line per phase; nil = none
}

// logf writes one progress line, stamped with the time of day.
func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
}

// Agent is one running agent.
type Agent struct {
	I   int
	Cmd *exec.Cmd
	URL string
}

// keyFile is the shared peer and webhook key.
var keyFile = filepath.Join(StateDir, "peer.key")

// config is agent i's YAML: static peers are every other node, alerting
// posts to the harness's webhook on the bridge. Settle is the agent's
// default unless o.Settle says otherwise: until 2026-12-07 the harness
// held every new finding two intervals (240 s at K=200, interval 120 s),
// and the cut's host alert, which the issue budgets at F × interval +
// timeout + 2 s with the default settings, came that much late.
func config(o Options, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `agent:
  name: %s
  listen: %s:%d
  log_level: warn
swarm:
  labels: false
mesh:
  enabled: true
  listen: %s:%d
  key_file: %s
  interval: %s
  timeout: %s
  refresh: %s
  subset_k: %d
  static:
`, nodeName(i), nodeAddr(i), APIPort, nodeAddr(i), PeerPort, keyFile, o.Interval, o.Timeout, o.Interval, o.SubsetK)
	for j := 1; j <= o.K; j++ {
		if j != i {
			fmt.Fprintf(&b, "    - {name: %s, address: %s}\n", nodeName(j), nodeAddr(j))
		}
	}
	fmt.Fprintf(&b, `alerting:
  enabled: true
  failing_after: 2
  window: 3
  recover_after: 2
  grace: 10s
  settle: %s
  resend_interval: 1m
  webhooks:
    - {name: scale, url: "http://%s:%d/hook", key_file: %s}
`, o.Settle, BridgeAddr, HookPort, keyFile)
	return b.String()
}

// StartAgents writes the key, the binary and one config per agent under
// StateDir and starts every agent in its namespace under nice -n 19, logging
// to the results directory, o.Wave at a time: each wave answers /healthz
// before the next starts. An agent's start is its most costly minute (it
// fetches every peer's view whole, and every peer its view), and 200 of
// them starting at once on two cores got none of them far.
func StartAgents(ctx context.Context, o Options) ([]*Agent, error) {
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, []byte("5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e00\n"), 0o600); err != nil {
		return nil, err
	}
	bin := filepath.Join(StateDir, "swarmlink")
	if err := copyFile(o.Binary, bin); err != nil {
		return nil, err
	}
	var agents []*Agent
	wave := cmp.Or(o.Wave, o.K)
	for i := 1; i <= o.K; i++ {
		a, err := startAgent(o, bin, i)
		if err != nil {
			return agents, err
		}
		agents = append(agents, a)
		if i%wave == 0 && i < o.K {
			if err := WaitReady(ctx, agents[i-wave:], readyBound(wave)); err != nil {
				return agents, fmt.Errorf("wave of %s..%s: %w", nodeName(i-wave+1), nodeName(i), err)
			}
			o.logf("%d agents ready", i)
		}
	}
	return agents, nil
}

func startAgent(o Options, bin string, i int) (*Agent, error) {
	cfg := filepath.Join(StateDir, nodeName(i)+".yaml")
	if err := os.WriteFile(cfg, []byte(config(o, i)), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(o.Results, "logs", nodeName(i)+".log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	c := exec.Command("nice", "-n", "19", "nsenter", "--net="+nsPath(nodeNS(i)), bin, "agent",
		"--config", cfg, "--data-dir", filepath.Join(StateDir, "data", nodeName(i)), "--log-format", "json",
		"--pprof", fmt.Sprintf("127.0.0.1:%d", PprofPort))
	c.Stdout, c.Stderr = logf, logf
	if o.GoMaxProcs > 0 {
		c.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", o.GoMaxProcs))
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", nodeName(i), err)
	}
	return &Agent{I: i, Cmd: c, URL: fmt.Sprintf("http://%s:%d", nodeAddr(i), APIPort)}, nil
}

// WaitReady waits until every agent answers /healthz.
func WaitReady(ctx context.Context, agents []*Agent, bound time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	for _, a := range agents {
		for {
			if get(ctx, a.URL+"/healthz") == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s not ready within %s", nodeName(a.I), bound)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// StopAgents sends SIGTERM to every agent and waits for it (SIGKILL after 10 s).
func StopAgents(agents []*Agent) {
	for _, a := range agents {
		_ = a.Cmd.Process.Signal(os.Interrupt)
	}
	done := make(chan struct{})
	go func() {
		for _, a := range agents {
			_ = a.Cmd.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		for _, a := range agents {
			_ = a.Cmd.Process.Kill()
		}
		<-done
	}
}

func get(ctx context.Context, url string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}
