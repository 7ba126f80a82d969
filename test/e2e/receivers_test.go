package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	gtypes "github.com/onsi/gomega/types"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/test/cluster"
)

// The alert receivers of the test config (testdata/swarmlink.yml): a real
// Alertmanager and a signed-webhook receiver, both on node1's underlay
// address, in node1's network namespace, for the whole suite. They must be
// up from the start: every fault any spec injects raises alerts, and a
// receiver that is down makes the agents back off (up to minutes).

const (
	amPort   = 9093
	hookPort = 9095
	// alertSettle is the test config's alerting.settle.
	alertSettle = 4 * time.Second
)

// Suite-wide receivers (startReceivers, stopReceivers).
var (
	am   *alertmanager
	hook *webhookReceiver
)

// startReceivers starts Alertmanager and the webhook receiver on node1.
func startReceivers(ctx context.Context) {
	GinkgoHelper()
	n := suite.Manager()
	var err error
	am, err = startAlertmanager(ctx, n)
	Expect(err).NotTo(HaveOccurred())
	key, err := os.ReadFile(filepath.Join(suite.Repo, "charts", "swarm", "peer.key.example"))
	Expect(err).NotTo(HaveOccurred())
	hook, err = startWebhookReceiver(n, bytes.TrimSpace(key))
	Expect(err).NotTo(HaveOccurred())
}

// stopReceivers stops both and removes Alertmanager's files. Safe when
// they never started.
func stopReceivers() {
	if hook != nil {
		hook.Close()
	}
	if am != nil {
		Expect(am.Stop()).To(Succeed())
		Expect(os.RemoveAll(am.dir)).To(Succeed())
	}
}

// alertmanager is Debian's prometheus-alertmanager run in a node's network
// namespace, listening on the node's address, with its files under the
// harness's state dir (so Cleanup and LeakCheck also find it after a crash).
type alertmanager struct {
	node *cluster.Node
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// amConfig routes every alert to a receiver that sends nothing.
const amConfig = `route: {receiver: "null", group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: "null"}]
`

func startAlertmanager(ctx context.Context, n *cluster.Node) (*alertmanager, error) {
	dir := filepath.Join(cluster.StateDir, "alertmanager")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("alertmanager dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(amConfig), 0o644); err != nil {
		return nil, fmt.Errorf("alertmanager config: %w", err)
	}
	a := &alertmanager{node: n, dir: dir}
	return a, a.Start(ctx)
}

// URL is Alertmanager's address, as the agents reach it.
func (a *alertmanager) URL() string { return fmt.Sprintf("http://%s:%d", a.node.Addr, amPort) }

// Start starts Alertmanager (again, on the same storage) and waits until it
// is ready.
func (a *alertmanager) Start(ctx context.Context) error {
	if err := cluster.UnderlayUp(); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(a.dir, "alertmanager.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("alertmanager log: %w", err)
	}
	defer log.Close()
	cmd := a.node.NetCommand("/usr/bin/prometheus-alertmanager",
		"--config.file="+filepath.Join(a.dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(a.dir, "data"),
		fmt.Sprintf("--web.listen-address=%s:%d", a.node.Addr, amPort),
		"--cluster.listen-address=") // no HA gossip: nothing listens beyond the API
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting alertmanager: %w", err)
	}
	a.cmd, a.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(a.done)
	return cluster.Poll(ctx, 30*time.Second, func() (bool, error) {
		select {
		case <-a.done:
			return false, errors.New("alertmanager exited; see " + filepath.Join(a.dir, "alertmanager.log"))
		default:
		}
		_, err := getBody(ctx, a.URL()+"/-/ready")
		return err == nil, err
	})
}

// Stop stops Alertmanager (SIGTERM, then SIGKILL) and waits for it.
func (a *alertmanager) Stop() error {
	if a.cmd == nil {
		return nil
	}
	defer func() { a.cmd = nil }()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = a.cmd.Process.Kill()
	select {
	case <-a.done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("alertmanager did not exit")
	}
}

// AMAlert is one alert of Alertmanager's GET /api/v2/alerts.
type AMAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

func (a AMAlert) String() string {
	l := a.Labels
	return fmt.Sprintf("%s node=%s %s→%s %s %s", l["alertname"], l["node"], l["source"], l["destination"], l["path"], l["cause"])
}

// amActive returns the alerts Alertmanager holds as active (not resolved).
func amActive(ctx context.Context) ([]AMAlert, error) {
	var out []AMAlert
	return out, getJSON(ctx, am.URL(), "/api/v2/alerts?active=true", &out)
}

// amMentions matches an Alertmanager alert whose node, source or
// destination is node.
func amMentions(node string) gtypes.GomegaMatcher {
	return Or(HaveField("Labels", HaveKeyWithValue("node", node)),
		HaveField("Labels", HaveKeyWithValue("source", node)),
		HaveField("Labels", HaveKeyWithValue("destination", node)))
}

// mentions matches an alert.Alert whose source or destination is node.
func mentions(node string) gtypes.GomegaMatcher {
	return Or(HaveField("Source", node), HaveField("Destination", node))
}

// webhookReceiver is the test config's signed webhook: an HTTP server in
// node1's network namespace that verifies every request with
// alert.VerifySignature and keeps every alert it was sent.
type webhookReceiver struct {
	key []byte
	srv *http.Server
	l   net.Listener

	mu  sync.Mutex
	got []hookMessage
	bad []string // why requests were rejected
}

// hookMessage is one alert received, with when and from whom.
type hookMessage struct {
	At     time.Time
	Sender string
	Alert  alert.Alert
}

func startWebhookReceiver(n *cluster.Node, key []byte) (*webhookReceiver, error) {
	l, err := n.Listen("tcp", fmt.Sprintf("%s:%d", n.Addr, hookPort))
	if err != nil {
		return nil, err
	}
	h := &webhookReceiver{key: key, l: l}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

// Close stops the server and its listener.
func (h *webhookReceiver) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}

func (h *webhookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err == nil {
		err = alert.VerifySignature(h.key, r.Header.Get(alert.HeaderTimestamp), body, r.Header.Get(alert.HeaderSignature))
	}
	var p alert.WebhookPayload
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.bad = append(h.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	for _, a := range p.Alerts {
		h.got = append(h.got, hookMessage{At: time.Now(), Sender: p.Sender, Alert: a})
	}
}

// messages returns every alert received since t with status.
func (h *webhookReceiver) messages(since time.Time, status string) []hookMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookMessage
	for _, m := range h.got {
		if !m.At.Before(since) && m.Alert.Status == status {
			out = append(out, m)
		}
	}
	return out
}

// firingSince returns the firing alerts received since t.
func (h *webhookReceiver) firingSince(t time.Time) []alert.Alert {
	var out []alert.Alert
	for _, m := range h.messages(t, alert.StatusFiring) {
		out = append(out, m.Alert)
	}
	return out
}

// log lists every message since t, for failure messages.
func (h *webhookReceiver) log(since time.Time) string {
	var b strings.Builder
	for _, status := range []string{alert.StatusFiring, alert.StatusResolved} {
		for _, m := range h.messages(since, status) {
			a := m.Alert
			fmt.Fprintf(&b, "\n%s from %s: %s %s %s→%s %s fp=%s", m.At.Format("15:04:05.000"), m.Sender, a.Status,
				a.Name, a.Source, a.Destination, a.Path, a.Fingerprint)
		}
	}
	return b.String()
}

// rejected lists why requests failed verification.
func (h *webhookReceiver) rejected() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bad...)
}

// eventuallyNoAlerts waits until, in one poll, no agent holds a firing alert
// and Alertmanager shows none: "no alert left from an earlier spec". Alertmanager
// alone is not enough: agents sharing an alert's labels resolve it seconds
// apart, and one still firing re-sends it (every resend interval) after
// another's resolve emptied Alertmanager for a moment.
func eventuallyNoAlerts(ctx context.Context, timeout time.Duration) {
	GinkgoHelper()
	Eventually(ctx, func(g Gomega) {
		for _, n := range suite.Nodes {
			as, err := agentAlerts(ctx, n)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(as).To(BeEmpty(), "%s still fires", n.Name)
			// After a node's host alert resolves, every agent holds new
			// alerts about it for the rejoin grace: a fault injected then
			// would be raised by some agents and not others.
			var holds struct {
				Rejoining map[string]time.Time `json:"rejoining"`
			}
			g.Expect(getJSON(ctx, agentURL(n), "/api/v1/alerts", &holds)).To(Succeed())
			g.Expect(holds.Rejoining).To(BeEmpty(), "%s holds alerts about a rejoining node", n.Name)
		}
		g.Expect(amActive(ctx)).To(BeEmpty(), "Alertmanager")
	}).WithTimeout(timeout).WithPolling(250*time.Millisecond).Should(Succeed(), "no alert left from an earlier spec")
}
