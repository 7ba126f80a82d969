package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// webhookSink is a receiver that keeps every alert it is sent.
type webhookSink struct {
	mu     sync.Mutex
	alerts []map[string]any
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var p struct {
		Alerts []map[string]any `json:"alerts"`
	}
	if json.Unmarshal(body, &p) == nil {
		s.mu.Lock()
		s.alerts = append(s.alerts, p.Alerts...)
		s.mu.Unlock()
	}
}

// seen lists "status alertname source→destination" of every alert received.
func (s *webhookSink) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for _, a := range s.alerts {
		out = append(out, fmt.Sprintf("%v %v %v→%v", a["status"], a["alertname"], a["source"], a["destination"]))
	}
	return out
}

var _ = Describe("alerting between two agents", func() {
	It("fires one alert when a peer goes away, and resolves it when it is back", func() {
		dir := GinkgoT().TempDir()
		sink := &webhookSink{}
		srv := httptest.NewServer(sink)
		DeferCleanup(srv.Close)
		key := writeFile(dir, "peer.key", "0123456789abcdef0123456789abcdef\n")
		hook := writeFile(dir, "hook.key", "webhook-signing-key\n")
		alerting := fmt.Sprintf(`alerting:
  enabled: true
  failing_after: 2
  window: 3
  recover_after: 2
  grace: 1ms
  settle: 1s
  webhooks: [{name: test, url: %q, key_file: %q}]
`, srv.URL, hook)
		_, _ = meshAgentWith(dir, 2, 3, key, alerting)
		s3, _ := meshAgentWith(dir, 3, 2, key, "")
		Consistently(sink.seen, "2s").Should(BeEmpty(), "a healthy mesh raises nothing")

		s3.Kill().Wait("5s")
		Eventually(sink.seen, "10s").Should(ContainElement(MatchRegexp(`^firing Swarmlink\w+ (node2|cluster)→node3$`)))
		Consistently(func() int { return len(sink.seen()) }, "2s").Should(Equal(1), "one fault, one alert: %v", sink.seen())

		meshAgentWith(dir, 3, 2, key, "")
		Eventually(sink.seen, "15s").Should(ContainElement(MatchRegexp(`^resolved Swarmlink\w+ (node2|cluster)→node3$`)))
	})
})

// meshAgentWith is meshAgent with extra config appended.
func meshAgentWith(dir string, n, peer int, keyFile, extra string) (*gexec.Session, string) {
	return meshAgentCfg(dir, n, peer, keyFile, extra)
}
