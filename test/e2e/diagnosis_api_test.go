package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// The one diagnosis (issue 8) as the agents serve it: GET /api/v1/matrix and
// `swarmlink status --format json` both give a links.Diagnosis. The types
// below mirror its JSON (links/diagnosis.go) on purpose, rather than import
// it: the suite checks the wire contract.

// Diagnosis is /api/v1/matrix.
type Diagnosis struct {
	Generated time.Time           `json:"generated"`
	Self      string              `json:"self"`
	Verdict   string              `json:"verdict"`
	Partial   bool                `json:"partial"`
	CutOff    bool                `json:"cut_off"`
	Nodes     []string            `json:"nodes"`
	Paths     []string            `json:"paths"`
	Views     map[string]ViewInfo `json:"views"`
	Findings  []Finding           `json:"findings"`
	Cells     []Cell              `json:"cells"`
	Checks    []json.RawMessage   `json:"checks"`
}

// ViewInfo says how a node's view reached the diagnosis, or why not.
type ViewInfo struct {
	Via       string    `json:"via"`
	Generated time.Time `json:"generated"`
	Missing   string    `json:"missing"`
}

// Finding is one localised fault of a Diagnosis.
type Finding struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Severity    string    `json:"severity"`
	Node        string    `json:"node"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Path        string    `json:"path"`
	Probe       string    `json:"probe"`
	Cause       string    `json:"cause"`
	Summary     string    `json:"summary"`
	Advice      string    `json:"advice"`
	LossPercent float64   `json:"loss_percent"`
	Largest     int       `json:"largest"`
	Since       time.Time `json:"since"`
}

// Key is what the specs compare of a finding.
func (f Finding) Key() FindingKey { return FindingKey{f.Kind, f.Node, f.From, f.To, f.Path} }

// FindingKey is a finding's kind, node, direction and path.
type FindingKey struct{ Kind, Node, From, To, Path string }

func (k FindingKey) String() string {
	return fmt.Sprintf("%s{node=%s from=%s to=%s path=%s}", k.Kind, k.Node, k.From, k.To, k.Path)
}

// Cell is one direction From → To of one path.
type Cell struct {
	From        string    `json:"from"`
	To          string    `json:"to"`
	Path        string    `json:"path"`
	State       string    `json:"state"`
	Forward     string    `json:"forward"`
	RoundTrip   string    `json:"roundtrip"`
	Large       string    `json:"large"`
	Cause       string    `json:"cause"`
	LossPercent float64   `json:"loss_percent"`
	Since       time.Time `json:"since"`
	Message     string    `json:"message"`
	Finding     string    `json:"finding"`
}

// Cell returns the cell from → to on path.
func (d Diagnosis) Cell(from, to, path string) (Cell, bool) {
	for _, c := range d.Cells {
		if c.From == from && c.To == to && c.Path == path {
			return c, true
		}
	}
	return Cell{}, false
}

// Keys are the diagnosis' findings' keys, sorted, without the kinds in skip.
func (d Diagnosis) Keys(skip ...string) []FindingKey {
	var out []FindingKey
	for _, f := range d.Findings {
		if !slices.Contains(skip, f.Kind) {
			out = append(out, f.Key())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Brief is a diagnosis in one paragraph, for failure messages and logs.
func (d Diagnosis) Brief() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s says %s (partial %v, cut_off %v)", d.Self, d.Verdict, d.Partial, d.CutOff)
	for _, f := range d.Findings {
		fmt.Fprintf(&b, "\n    finding %s cause=%s loss=%.1f largest=%d: %s", f.Key(), f.Cause, f.LossPercent, f.Largest, f.Summary)
	}
	for _, c := range d.Cells {
		if c.State != "healthy" {
			fmt.Fprintf(&b, "\n    cell %s→%s %s: %s (fwd %s, rtt %s, large %s, cause %s, loss %.1f) %s",
				c.From, c.To, c.Path, c.State, c.Forward, c.RoundTrip, c.Large, c.Cause, c.LossPercent, c.Message)
		}
	}
	for n, v := range d.Views {
		if v.Missing != "" {
			fmt.Fprintf(&b, "\n    view of %s missing: %s", n, v.Missing)
		}
	}
	return b.String()
}

// inNodeClient is an HTTP client whose connections are made inside n's
// network namespace: it reaches n's own agent (at n's address) even while n
// is cut off the underlay, and never anything beyond the machine.
func inNodeClient(n *cluster.Node) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return cluster.DialIn(ctx, n.NetNS(), network, addr)
	}
	return &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
}

// diagnosis GETs n's /api/v1/matrix, from inside n's own namespace.
func diagnosis(ctx context.Context, n *cluster.Node) (Diagnosis, error) {
	var d Diagnosis
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u := agentURL(n) + "/api/v1/matrix"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return d, err
	}
	resp, err := inNodeClient(n).Do(req)
	if err != nil {
		return d, fmt.Errorf("asking %s: %w", n.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return d, fmt.Errorf("reading %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("decoding %s: %w: %.300s", u, err, body)
	}
	return d, nil
}

// statusJSON runs the harness's swarmlink binary on n (its namespaces, as
// VerifyOnNode does): `status --addr <n's agent API> --format json`. It
// returns the printed Diagnosis and the exit code.
func statusJSON(ctx context.Context, n *cluster.Node) (Diagnosis, int, error) {
	var d Diagnosis
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd, err := n.Command(ctx, cluster.BinaryPath(), "status", "--addr", agentURL(n), "--format", "json")
	if err != nil {
		return d, -1, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	exit := cmd.ProcessState.ExitCode()
	if err != nil && exit < 0 {
		return d, exit, fmt.Errorf("running status on %s: %w: %s", n.Name, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		return d, exit, fmt.Errorf("decoding status on %s (exit %d): %w: %.300s %s", n.Name, exit, err, stdout.Bytes(), stderr.Bytes())
	}
	return d, exit, nil
}

// statusExit is the exit code `swarmlink status` owes a diagnosis: 0
// healthy, 1 failing or degraded, 3 partial or unknown. A partial diagnosis
// that is failing may say either 1 or 3: both are returned.
func statusExit(d Diagnosis) []int {
	switch {
	case d.Verdict == "unknown":
		return []int{3}
	case d.Partial && (d.Verdict == "failing" || d.Verdict == "degraded"):
		return []int{1, 3}
	case d.Partial:
		return []int{3}
	case d.Verdict == "failing" || d.Verdict == "degraded":
		return []int{1}
	default:
		return []int{0}
	}
}

// alertFor is the Alertmanager alertname of each finding kind.
var alertFor = map[string]string{
	"host-down":      "SwarmlinkHostUnreachable",
	"node-inbound":   "SwarmlinkNodeInbound",
	"node-outbound":  "SwarmlinkNodeOutbound",
	"mtu":            "SwarmlinkMTU",
	"mtu-node":       "SwarmlinkMTU",
	"published-port": "SwarmlinkPublishedPort",
	"one-way":        "SwarmlinkLinkOneWay",
	"link-down":      "SwarmlinkLinkDown",
	"loss":           "SwarmlinkLoss",
	"peer-key":       "SwarmlinkPeerKey",
	"clock-skew":     "SwarmlinkClockSkew",
	"responder-busy": "SwarmlinkResponderBusy",
	"check-failed":   "SwarmlinkCheckFailed",
}

// printf logs to the spec's output with the time, for FINDINGS.md.
func printf(format string, args ...any) {
	GinkgoWriter.Printf("%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}
