package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/config"
)

var _ = Describe("the reload status (the config view of the status API)", func() {
	It("quotes rejected URLs redacted, in the status and in the log", func() {
		path := filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
		Expect(os.WriteFile(path, []byte(oneProbe), 0o600)).To(Succeed())
		initial, err := config.Load(path)
		Expect(err).NotTo(HaveOccurred())
		core, logs := observer.New(zap.DebugLevel)
		w := config.NewWatcher(path, initial, zap.New(core), prometheus.NewRegistry(), nil)

		bad := "probes:\n  - {name: a, kind: http, target: 'ftp://u:pw-SEKRIT1@h/in/PATHSEKRIT'}\n" +
			"alerting:\n  enabled: true\n  slack:\n    - {name: t, url: 'ftp://hooks/services/T0SEKRIT/B0SEKRIT'}\n"
		Expect(os.WriteFile(path, []byte(bad), 0o600)).To(Succeed())
		Expect(w.Reload(true)).NotTo(Succeed())

		st := w.Status()
		Expect(st.Successful).To(BeFalse())
		Expect(st.Errors).To(HaveLen(2))
		view, err := json.Marshal(st)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(view)).To(ContainSubstring(`ftp://u:REDACTED@h/in/REDACTED`))
		Expect(string(view)).NotTo(ContainSubstring("SEKRIT"))
		Expect(logs.FilterMessage("config reload failed; keeping the last good config").Len()).To(Equal(1))
		for _, e := range logs.All() {
			Expect(e.ContextMap()).NotTo(ContainElement(ContainSubstring("SEKRIT")))
		}
	})
})

var _ = Describe("the running config view (RedactedYAML)", func() {
	It("keeps the shape and the settings, and drops every URL secret, header value and token", func() {
		path := filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
		src := `probes:
  - name: api
    kind: http
    target: 'http://ops:pw-SEKRIT1@127.0.0.1:8080/v1/SEKRIT2?key=SEKRIT3'
    interval: 7s
    http: {headers: {Authorization: 'Bearer SEKRIT4'}}
mesh: {enabled: true, key_file: /run/secrets/peer, static: [{name: b, address: 127.0.0.2}]}
alerting:
  enabled: true
  alertmanager: {url: 'http://am:SEKRIT5@10.0.0.1:9093'}
  slack:
    - {name: ops, url: 'https://hooks.slack.com/services/T0SEKRIT6/B0/X'}
  webhooks:
    - {name: w, url: 'http://10.0.0.2/hook?token=SEKRIT7', key_file: /run/secrets/hook}
`
		Expect(os.WriteFile(path, []byte(src), 0o600)).To(Succeed())
		c, err := config.Load(path)
		Expect(err).NotTo(HaveOccurred())
		b, err := c.RedactedYAML()
		Expect(err).NotTo(HaveOccurred())
		out := string(b)
		Expect(out).NotTo(ContainSubstring("SEKRIT"))
		Expect(out).To(ContainSubstring("interval: 7s"), "durations read as written")
		Expect(out).To(ContainSubstring("key_file: /run/secrets/peer"), "where a secret is stays")
		Expect(out).To(ContainSubstring("Authorization: REDACTED"))
		Expect(out).To(ContainSubstring("https://hooks.slack.com/services/REDACTED"))
		Expect(out).To(ContainSubstring("name: api"))
		Expect(c.Probes[0].HTTP.Headers).To(HaveKeyWithValue("Authorization", "Bearer SEKRIT4"), "the running config itself is untouched")
	})
})
