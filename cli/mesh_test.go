package cli_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

type linksDoc struct {
	Node  string `json:"node"`
	Links []struct {
		Peer, Path, Direction, Role, Status, Cause, Message string
	} `json:"links"`
}

type matrixDoc struct {
	Verdict  string                                         `json:"verdict"`
	Cells    []struct{ From, To, Path, State string }       `json:"cells"`
	Views    map[string]struct{ Via, Missing string }       `json:"views"`
	Findings []struct{ Kind, Node, From, To, Cause string } `json:"findings"`
}

// meshAgent runs an agent named node<n> on 127.0.0.<n> (API 19470, peer
// port 9471) whose only peer is node<peer>, reached through its published
// port on 127.0.0.<peer>: two hosts talking through published ports.
func meshAgent(dir string, n, peer int, keyFile string) (*gexec.Session, string) {
	return meshAgentCfg(dir, n, peer, keyFile, "")
}

// meshAgentCfg is meshAgent with extra top-level config appended.
func meshAgentCfg(dir string, n, peer int, keyFile, extra string) (*gexec.Session, string) {
	cfg := writeFile(dir, fmt.Sprintf("node%d.yaml", n), extra+fmt.Sprintf(`agent:
  name: node%[1]d
  listen: 127.0.0.%[1]d:19470
mesh:
  enabled: true
  listen: 127.0.0.%[1]d:9471
  key_file: %[3]s
  interval: 500ms
  timeout: 400ms
  static:
    - {name: node%[2]d, address: 127.0.0.%[2]d}
`, n, peer, keyFile))
	return runMeshAgent(dir, n, cfg)
}

// runMeshAgent runs the agent of config file cfg, node<n> on 127.0.0.<n>, until
// the spec ends, and waits for its API.
func runMeshAgent(dir string, n int, cfg string) (*gexec.Session, string) {
	s, err := gexec.Start(exec.Command(bin, "agent", "--config", cfg, "--data-dir",
		filepath.Join(dir, fmt.Sprintf("data%d", n)), "--log-format", "json"), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait("5s") })
	url := fmt.Sprintf("http://127.0.0.%d:19470", n)
	Eventually(func() (string, error) { return httpGet(url + "/healthz") }, "10s").Should(Equal("ok\n"))
	return s, url
}

func linkState(url, peer, dir string) string {
	var v linksDoc
	if err := getJSON(url+"/api/v1/links", &v); err != nil {
		return "no answer"
	}
	role := "tcp" // the small echo outbound; the beacons' arrival inbound
	if dir == "inbound" {
		role = "arrival"
	}
	for _, l := range v.Links {
		if l.Peer == peer && l.Direction == dir && l.Role == role {
			return l.Status + "/" + l.Cause + "/" + l.Message
		}
	}
	return "absent"
}

var _ = Describe("peer mesh between two hosts on loopback", Ordered, func() {
	var dir, keyA, keyB string
	BeforeAll(func() {
		dir = GinkgoT().TempDir()
		keyA = writeFile(dir, "a.key", "0123456789abcdef0123456789abcdef\n")
		keyB = writeFile(dir, "b.key", "fedcba9876543210fedcba9876543210\n")
	})

	It("shows both directions healthy on both ends and a healthy matrix", func() {
		_, u2 := meshAgent(dir, 2, 3, keyA)
		_, u3 := meshAgent(dir, 3, 2, keyA)
		for _, c := range [][2]string{{u2, "node3"}, {u3, "node2"}} {
			Eventually(func() string { return linkState(c[0], c[1], "outbound") }, "10s").Should(HavePrefix("healthy"))
			Eventually(func() string { return linkState(c[0], c[1], "inbound") }, "10s").Should(HavePrefix("healthy"))
		}
		// The diagnosis needs node3's view too: gathered every interval,
		// so it may trail the links by one.
		var m matrixDoc
		Eventually(func() string {
			m = matrixDoc{}
			_ = getJSON(u2+"/api/v1/matrix", &m)
			return m.Verdict
		}, "5s").Should(Equal("healthy"))
		Expect(m.Cells).To(HaveLen(2))
		Expect(m.Views).To(HaveKeyWithValue("node3", HaveField("Via", "published")), "node3's view came over the published path")
	})

	It("keeps the peer's view by deltas after the first whole one, and asks whole again of a restarted peer", func() {
		_, u2 := meshAgent(dir, 2, 3, keyA)
		s3, _ := meshAgent(dir, 3, 2, keyA)
		fetches := func(answer string) func() int {
			return func() int { return metricValue(metricsText(u2), `swarmlink_view_fetches_total{answer="`+answer+`"}`) }
		}
		Eventually(fetches("delta"), "10s").Should(BeNumerically(">=", 4))
		errs := fetches("error")() // node3's view before node3 had started
		Consistently(fetches("error"), "1200ms", "200ms").Should(Equal(errs), "no failed fetch between two running agents")
		wholeBefore := fetches("whole")()
		Expect(wholeBefore).To(BeNumerically("<=", 2), "one whole view of node3 (and one more if its first answer raced its start)")
		s3.Kill().Wait("5s")
		_, u3 := meshAgent(dir, 3, 2, keyA)
		Eventually(fetches("whole"), "10s").Should(BeNumerically(">", wholeBefore), "a new epoch: the old position is no base")
		Eventually(func() string { return linkState(u3, "node2", "inbound") }, "10s").Should(HavePrefix("healthy"))
		Eventually(func() string {
			var m matrixDoc
			_ = getJSON(u2+"/api/v1/matrix", &m)
			return m.Verdict
		}, "10s").Should(Equal("healthy"))
		deltas := fetches("delta")()
		Eventually(fetches("delta"), "5s").Should(BeNumerically(">", deltas), "deltas again, from the new epoch")
	})

	It("refuses and reports a peer whose key is wrong", func() {
		_, u2 := meshAgent(dir, 2, 3, keyA)
		_, u3 := meshAgent(dir, 3, 2, keyB)
		Eventually(func() string { return linkState(u2, "node3", "outbound") }, "10s").Should(
			And(HavePrefix("failing"), ContainSubstring("key")))
		Eventually(func() string { return metricsText(u3) }, "5s").Should(MatchRegexp(`swarmlink_peer_dropped_total\{reason="bad_mac",transport="(tcp|udp)"\} [1-9]`))
	})

	It("sees a stopped peer from the other end: outbound and inbound fail, history keeps both, matrix marks it", func() {
		_, u2 := meshAgent(dir, 2, 3, keyA)
		s3, u3 := meshAgent(dir, 3, 2, keyA)
		Eventually(func() string { return linkState(u3, "node2", "inbound") }, "10s").Should(HavePrefix("healthy"))
		s3.Kill().Wait("5s")
		Eventually(func() string { return linkState(u2, "node3", "outbound") }, "5s").Should(HavePrefix("failing/refused"))
		Eventually(func() string { return linkState(u2, "node3", "inbound") }, "5s").Should(HavePrefix("failing/timeout"))
		Eventually(historyCauses(u2+"/api/v1/history?destination=node3&direction=outbound&limit=50"), "3s").Should(ContainSubstring("refused"))
		Eventually(historyCauses(u2+"/api/v1/history?source=node3&direction=inbound&limit=50"), "3s").Should(ContainSubstring("timeout"))
		var m matrixDoc
		Expect(getJSON(u2+"/api/v1/matrix", &m)).To(Succeed())
		Expect(m.Views).To(HaveKeyWithValue("node3", HaveField("Missing", Not(BeEmpty()))))
		Expect(m.Views).To(HaveKeyWithValue("node2", HaveField("Via", "self")))
		Expect(m.Verdict).To(Equal("failing"))
		Expect(m.Findings).To(ContainElement(HaveField("Kind", "host-down")), "node2's only peer answers on no path")
	})
})

// metricValue is the value of the sample line that starts with series in
// a /metrics text, 0 when there is none.
func metricValue(text, series string) int {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(n)
		}
	}
	return 0
}

// historyCauses polls a history query and joins the causes it returns.
func historyCauses(url string) func() string {
	return func() string {
		var h historyDoc
		if err := getJSON(url, &h); err != nil {
			return err.Error()
		}
		out := []string{}
		for _, it := range h.Items {
			out = append(out, it.Cause)
		}
		return strings.Join(out, ",")
	}
}

var _ = Describe("full verification with the mesh", func() {
	It("runs the large-payload ladder on every mesh path and reports every rung", func() {
		dir := GinkgoT().TempDir()
		key := writeFile(dir, "peer.key", "0123456789abcdef0123456789abcdef\n")
		_, u2 := meshAgentCfg(dir, 2, 3, key, "schedules: [{name: often, cron: \"*/2 * * * * *\"}]\n")
		meshAgent(dir, 3, 2, key)
		var rep struct {
			Items []struct {
				Key    string `json:"key"`
				Passed bool   `json:"passed"`
			} `json:"items"`
		}
		Eventually(func() []string {
			var list struct {
				Items []struct{ ID string } `json:"items"`
			}
			if getJSON(u2+"/api/v1/reports", &list) != nil || len(list.Items) == 0 {
				return nil
			}
			_ = getJSON(u2+"/api/v1/reports/"+list.Items[0].ID, &rep)
			var passed []string
			for _, it := range rep.Items {
				if it.Passed {
					passed = append(passed, it.Key)
				}
			}
			return passed
		}, "15s", "500ms").Should(ContainElements(
			"mesh/node3/published/large/ladder/00512", "mesh/node3/published/large/ladder/01472",
			"mesh/node3/published/large/ladder/65536", "mesh/node3/published/tcp"))
	})
})
