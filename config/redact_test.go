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
