package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/test/cluster"
)

// The deployed agents' own API, read from the machine at each node's
// address (the stack publishes 9470 in host mode) over the underlay bridge.

// agentPort is the stack's API port, published on every node.
const agentPort = 9470

// The test config's mesh timings (testdata/swarmlink.yml).
const (
	meshInterval = 2 * time.Second
	meshTimeout  = time.Second
)

// Link is one entry of /api/v1/links: the old view's one link per peer,
// path and direction (state, probes), or links.View's one LinkState per
// probe (status, probe, role). links() folds the latter into the former.
type Link struct {
	Agent       string       `json:"agent"`
	Peer        string       `json:"peer"`
	Path        string       `json:"path"`
	Probe       string       `json:"probe"`
	Role        string       `json:"role"`
	Direction   string       `json:"direction"`
	State       string       `json:"state"`
	Status      string       `json:"status"`
	Cause       string       `json:"cause"`
	Message     string       `json:"message"`
	LossPercent float64      `json:"loss_percent"`
	Probes      []ProbeState `json:"probes"`
}

// ProbeState is one probe's last result on an outbound link.
type ProbeState struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Cause   string `json:"cause"`
	Message string `json:"message"`
}

// MTU is one measured MTU of links.View: the largest UDP payload that
// crossed from → to on path.
type MTU struct {
	From       string    `json:"from"`
	To         string    `json:"to"`
	Path       string    `json:"path"`
	Largest    int       `json:"largest"`
	Ceiling    int       `json:"ceiling"`
	OverlayMTU int       `json:"overlay_mtu"`
	Probes     int       `json:"probes"`
	Measured   time.Time `json:"measured"`
}

// LinksView is /api/v1/links.
type LinksView struct {
	Node  string `json:"node"`
	Links []Link `json:"links"`
	MTU   []MTU  `json:"mtu"`
}

// stateRank orders states from best to worst, to fold a link's probes.
var stateRank = map[string]int{"healthy": 0, "pending": 1, "degraded": 2, "unknown": 3, "failing": 4}

// Find returns the link to or from peer on path in direction: with one
// LinkState per probe, the worst of them, its probes listed in Probes.
// Beacons sent (role oneway) are left out: only their receiver judges them.
func (v LinksView) Find(peer, path, dir string) (Link, bool) {
	var out Link
	found := false
	for _, l := range v.Links {
		if l.Peer != peer || l.Path != path || l.Direction != dir || l.Role == "oneway" {
			continue
		}
		if l.State == "" { // links.View
			l.State = l.Status
			l.Probes = []ProbeState{{Name: l.Probe, Passed: l.Cause == "ok", Cause: l.Cause, Message: l.Message}}
		}
		if !found {
			out, found = l, true
			continue
		}
		out.Probes = append(out.Probes, l.Probes...)
		if stateRank[l.State] > stateRank[out.State] {
			out.State, out.Cause, out.Message = l.State, l.Cause, l.Message
		}
	}
	return out, found
}

// Peers lists the mesh peers the view names (on the overlay or published
// path: not the targets of user checks), once each.
func (v LinksView) Peers() []string {
	var out []string
	for _, l := range v.Links {
		if slices.Contains(meshPaths, l.Path) && !slices.Contains(out, l.Peer) {
			out = append(out, l.Peer)
		}
	}
	return out
}

// HistoryItem is one result of /api/v1/history.
type HistoryItem struct {
	Time        time.Time `json:"time"`
	Source      string    `json:"source"`
	Destination string    `json:"destination"`
	Path        string    `json:"path"`
	Probe       string    `json:"probe"`
	Direction   string    `json:"direction"`
	Passed      bool      `json:"passed"`
	Cause       string    `json:"cause"`
	Message     string    `json:"message"`
}

// CheckStatus is the part of /api/v1/checks the specs read.
type CheckStatus struct {
	Metadata struct {
		Key    string `json:"key"`
		Origin string `json:"origin"`
	} `json:"metadata"`
	Spec struct {
		Link struct{ Source, Destination, Path string } `json:"link"`
		Spec struct {
			Name string `json:"name"`
		} `json:"spec"`
	} `json:"spec"`
	Status struct {
		LastResult *LastResult `json:"lastResult"`
	} `json:"status"`
}

// LastResult is a check's last result, as the specs read it.
type LastResult struct {
	Passed  bool   `json:"passed"`
	Cause   string `json:"cause"`
	Message string `json:"message"`
}

// agentURL is the base URL of a node's agent API, at the node's address.
func agentURL(n *cluster.Node) string {
	return fmt.Sprintf("http://%s:%d", n.Addr, agentPort)
}

// getJSON GETs base+path and decodes the answer into v. Only node
// addresses are fetched, and only while the underlay bridge exists.
func getJSON(ctx context.Context, base, path string, v any) error {
	body, err := getBody(ctx, base+path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding %s%s: %w", base, path, err)
	}
	return nil
}

func getBody(ctx context.Context, u string) ([]byte, error) {
	if err := cluster.UnderlayUp(); err != nil {
		Fail(err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	return body, nil
}

// links reads a node's /api/v1/links.
func links(ctx context.Context, n *cluster.Node) (LinksView, error) {
	var v LinksView
	return v, getJSON(ctx, agentURL(n), "/api/v1/links", &v)
}

// history queries a node's /api/v1/history with filters.
func history(ctx context.Context, n *cluster.Node, filters url.Values) ([]HistoryItem, error) {
	var h struct {
		Items []HistoryItem `json:"items"`
	}
	return h.Items, getJSON(ctx, agentURL(n), "/api/v1/history?"+filters.Encode(), &h)
}

// agentAlerts reads a node's firing alerts.
func agentAlerts(ctx context.Context, n *cluster.Node) ([]alert.Alert, error) {
	var a struct {
		Enabled bool          `json:"enabled"`
		Items   []alert.Alert `json:"items"`
	}
	if err := getJSON(ctx, agentURL(n), "/api/v1/alerts", &a); err != nil {
		return nil, err
	}
	if !a.Enabled {
		return nil, fmt.Errorf("alerting is off on %s", n.Name)
	}
	return a.Items, nil
}

// checks reads a node's /api/v1/checks.
func checks(ctx context.Context, n *cluster.Node) ([]CheckStatus, error) {
	var c struct {
		Items []CheckStatus `json:"items"`
	}
	return c.Items, getJSON(ctx, agentURL(n), "/api/v1/checks", &c)
}

// metricsOf returns a node's /metrics page.
func metricsOf(ctx context.Context, base string) (string, error) {
	b, err := getBody(ctx, base+"/metrics")
	return string(b), err
}

// otherNodes is every node but n.
func otherNodes(n *cluster.Node) []*cluster.Node {
	var out []*cluster.Node
	for _, m := range suite.Nodes {
		if m != n {
			out = append(out, m)
		}
	}
	return out
}

// meshPaths are the paths every agent probes every peer over.
var meshPaths = []string{"overlay", "published"}

// diagPaths are the diagnosis's paths on the suite's Swarm: the mesh's,
// and the control plane (every node's gossip port, the manager's 2377).
var diagPaths = append(slices.Clone(meshPaths), "control")

// meshHealthy fails unless every agent reports every other one healthy on
// every path, outbound and inbound (2 × N × (N−1) directed links, each seen
// from both ends).
func meshHealthy(ctx context.Context) error {
	var bad []string
	for _, n := range suite.Nodes {
		v, err := links(ctx, n)
		if err != nil {
			return err
		}
		for _, peer := range otherNodes(n) {
			for _, path := range meshPaths {
				for _, dir := range []string{"outbound", "inbound"} {
					l, ok := v.Find(peer.Name, path, dir)
					if !ok || l.State != "healthy" {
						bad = append(bad, fmt.Sprintf("%s: %s %s %s: %+v", n.Name, peer.Name, path, dir, l))
					}
				}
			}
		}
		if peers := v.Peers(); len(peers) != len(suite.Nodes)-1 {
			bad = append(bad, fmt.Sprintf("%s lists links with %v, want the %d other nodes", n.Name, peers, len(suite.Nodes)-1))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("mesh not healthy:\n  %s", strings.Join(bad, "\n  "))
	}
	return nil
}

// eventuallyMeshHealthy waits until meshHealthy holds.
func eventuallyMeshHealthy(ctx context.Context, timeout time.Duration) {
	GinkgoHelper()
	Eventually(ctx, meshHealthy).WithTimeout(timeout).WithPolling(500 * time.Millisecond).Should(Succeed())
}
