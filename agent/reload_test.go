package agent

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
)

var _ = Describe("the reload hook", func() {
	const base = "probes:\n  - {name: a, kind: tcp, target: '127.0.0.1:1', interval: 1s}\n"

	// reloadTo starts an agent's watcher on base, writes next and reloads;
	// it returns the reload status and the sections logged as needing a
	// restart.
	reloadTo := func(opts Options, next string) (config.ReloadStatus, []string) {
		path := filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
		Expect(os.WriteFile(path, []byte(base), 0o600)).To(Succeed())
		opts.ConfigPath = path
		core, logs := observer.New(zap.WarnLevel)
		a := &Agent{opts: opts, log: zap.New(core)}
		Expect(a.loadConfig()).To(Succeed())
		a.ctrl = controller.New(controller.Options{})
		a.watcher = config.NewWatcher(path, a.cfg, a.log, prometheus.NewRegistry(), a.reloaded)
		Expect(os.WriteFile(path, []byte(next), 0o600)).To(Succeed())
		Expect(a.watcher.Reload(false)).To(Succeed())
		var logged []string
		for _, e := range logs.FilterMessage("config section changed; it takes effect at the next restart").All() {
			logged = append(logged, e.ContextMap()["section"].(string))
		}
		return a.watcher.Status(), logged
	}

	DescribeTable("lists every changed section built at start, and only those",
		func(opts Options, next string, want []string) {
			st, logged := reloadTo(opts, next)
			Expect(st.Successful).To(BeTrue(), st.Error)
			Expect(st.PendingRestart).To(Equal(want))
			Expect(logged).To(ConsistOf(want))
		},
		Entry("schedules", Options{}, base+"schedules: [{name: weekly, cron: '0 4 * * 0'}]\n", []string{"schedules"}),
		Entry("swarm", Options{}, base+"swarm: {refresh: 1m}\n", []string{"swarm"}),
		Entry("probes and the api token file apply live", Options{},
			"agent: {api_token_file: /run/secrets/t}\nprobes:\n  - {name: b, kind: tcp, target: '127.0.0.1:2'}\n",
			[]string(nil)),
		Entry("defaults apply live to probes, but swarm's defaulted values are built at start", Options{},
			base+"defaults: {interval: 1m}\n", []string{"swarm"}),
		Entry("a disabled mesh or alerting section changing is not pending", Options{},
			base+"mesh: {interval: 1m}\nalerting: {grace: 1s}\n", []string(nil)),
		Entry("every restart section at once, sorted", Options{},
			base+"agent: {log_level: debug, listen: ':19999'}\nhistory: {retention: 1h}\nschedules: []\n"+
				"mesh: {enabled: true, service: s, key_file: k}\nswarm: {checks: true}\nalerting: {enabled: true}\n",
			[]string{"agent.listen", "agent.log_level", "alerting", "history", "mesh", "schedules", "swarm"}),
		Entry("a listen address the command line overrides is not pending", Options{Listen: ":18888"},
			base+"agent: {listen: ':19999'}\n", []string(nil)),
	)

	It("clears the pending list when the file is changed back", func() {
		path := filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
		Expect(os.WriteFile(path, []byte(base), 0o600)).To(Succeed())
		a := &Agent{opts: Options{ConfigPath: path}, log: zap.NewNop()}
		Expect(a.loadConfig()).To(Succeed())
		a.ctrl = controller.New(controller.Options{})
		a.watcher = config.NewWatcher(path, a.cfg, a.log, prometheus.NewRegistry(), a.reloaded)
		Expect(os.WriteFile(path, []byte(base+"schedules: []\n"), 0o600)).To(Succeed())
		Expect(a.watcher.Reload(false)).To(Succeed())
		Expect(a.watcher.Status().PendingRestart).To(Equal([]string{"schedules"}))
		Expect(os.WriteFile(path, []byte(base), 0o600)).To(Succeed())
		Expect(a.watcher.Reload(false)).To(Succeed())
		Expect(a.watcher.Status().PendingRestart).To(BeEmpty())
	})
})
