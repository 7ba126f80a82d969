package charts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/swarmlink/swarmlink/agent"
)

// scrapeGenerated are series Prometheus makes itself, not the agent.
var scrapeGenerated = []string{"up"}

var _ = Describe("the dashboard and the rules", func() {
	It("use only metrics a running agent exports, and only recording rules they define", func() {
		records, ruleExprs := readRules("prometheus/rules.yml")
		used := metricNames(append(dashboardExprs("grafana/swarmlink.json"), ruleExprs...))
		Expect(used).To(ContainElements("swarmlink_link_up", "swarmlink_link_loss_ratio",
			"swarmlink_probe_duration_seconds_bucket", "swarmlink_alerts_firing", "swarmlink_build_info",
			"swarmlink_config_last_reload_successful", "swarmlink_history_commit_errors_total"),
			"the extraction found the names the artefacts are built on")

		exported := scrapeAgent()
		var missing []string
		for _, name := range used {
			known := slices.Contains(exported, name) || slices.Contains(records, name) ||
				slices.Contains(scrapeGenerated, name)
			if !known {
				missing = append(missing, name)
			}
		}
		Expect(missing).To(BeEmpty(), "used by charts/ but not exported by the agent nor recorded by rules.yml")
	})
})

// dashboardExprs returns every PromQL string of the dashboard: panel
// targets' expr and the template variables' queries.
func dashboardExprs(path string) []string {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var doc any
	Expect(json.Unmarshal(data, &doc)).To(Succeed())
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && (k == "expr" || k == "definition") {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	Expect(out).NotTo(BeEmpty())
	return out
}

// readRules returns the names the rules record and every expression.
func readRules(path string) (records, exprs []string) {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var doc struct {
		Groups []struct {
			Rules []struct{ Record, Alert, Expr string }
		}
	}
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				records = append(records, r.Record)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	return records, exprs
}

var (
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\{)?`)
)

// metricNames extracts the metric names of PromQL expressions: every name of
// swarmlink's own (swarmlink_..., swarmlink:...), and any identifier
// followed by a selector's "{". Label values (quoted) are skipped.
func metricNames(exprs []string) []string {
	var out []string
	for _, e := range exprs {
		for _, m := range identifier.FindAllString(quoted.ReplaceAllString(e, `""`), -1) {
			name := strings.TrimRight(m, " \t\n{")
			if strings.HasPrefix(name, "swarmlink_") || strings.HasPrefix(name, "swarmlink:") || strings.HasSuffix(m, "{") {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// scrapeAgent runs an in-process agent with a udp echo probe on loopback,
// the mesh probing its own responder as a static peer and alerting on, and
// returns the sample names of its /metrics once every probe has reported.
func scrapeAgent() []string {
	dir := GinkgoT().TempDir()
	GinkgoT().Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "no-docker.sock")) // never a real engine
	key := filepath.Join(dir, "peer.key")
	Expect(os.WriteFile(key, []byte("charts-test-key-0123456789abcdef\n"), 0o600)).To(Succeed())
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	DeferCleanup(hook.Close)
	apiPort, meshPort, echo := freePort(), freePort(), udpEcho()
	cfg := fmt.Sprintf(`agent: {name: self, listen: "127.0.0.1:%d", data_dir: %q}
swarm: {labels: false}
probes:
  - {name: echo, kind: udp, target: %q, interval: 1s, timeout: 500ms, udp: {count: 3}}
mesh:
  enabled: true
  listen: "127.0.0.1:%d"
  key_file: %q
  interval: 1s
  timeout: 500ms
  static: [{name: "127.0.0.1", address: 127.0.0.1, port: %d}]
alerting:
  enabled: true
  webhooks: [{name: hook, url: %q, key_file: %q}]
`, apiPort, filepath.Join(dir, "data"), echo, meshPort, key, meshPort, hook.URL, key)
	path := filepath.Join(dir, "swarmlink.yaml")
	Expect(os.WriteFile(path, []byte(cfg), 0o600)).To(Succeed())

	a, err := agent.New(agent.Options{ConfigPath: path, Version: "test", Log: zap.NewNop()})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Start(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
	})

	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", apiPort)
	var names []string
	Eventually(func(g Gomega) {
		names = sampleNames(g, url)
		g.Expect(names).To(ContainElements("swarmlink_link_loss_ratio", "swarmlink_peer_messages_total"))
	}, 20*time.Second, 250*time.Millisecond).Should(Succeed())
	return names
}

// sampleNames scrapes url and returns the name of every sample.
func sampleNames(g Gomega, url string) []string {
	resp, err := http.Get(url)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	var out []string
	for line := range strings.Lines(string(body)) {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// udpEcho answers every datagram with itself until the spec ends.
func udpEcho() string {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(conn.Close)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteTo(buf[:n], from)
		}
	}()
	return conn.LocalAddr().String()
}
