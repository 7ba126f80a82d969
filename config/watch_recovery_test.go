package config_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
)

const badProbe = "probes:\n  - {name: a, kind: tcp, target: nope, interval: 1s}\n"

// startWatcher writes content to a fresh file, loads it and runs a watcher
// on it with onChange until the test ends.
func startWatcher(content string, onChange func(*config.Config)) (string, *config.Watcher, *prometheus.Registry) {
	path := filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
	Expect(os.WriteFile(path, []byte(content), 0o600)).To(Succeed())
	initial, err := config.Load(path)
	Expect(err).NotTo(HaveOccurred())
	reg := prometheus.NewRegistry()
	w := config.NewWatcher(path, initial, zap.NewNop(), reg, onChange)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Start(ctx, nil) }()
	DeferCleanup(func() { cancel(); <-done })
	time.Sleep(50 * time.Millisecond) // let the fsnotify watch settle
	return path, w, reg
}

var _ = Describe("Watcher status", func() {
	It("clears a failed reload when the exact last good file is written back", func() {
		var swaps atomic.Int32
		path, w, reg := startWatcher(oneProbe, func(*config.Config) { swaps.Add(1) })
		Expect(os.WriteFile(path, []byte(badProbe), 0o600)).To(Succeed())
		Eventually(func() bool { return w.Status().Successful }, "2s").Should(BeFalse())
		Expect(reloadGauge(reg)).To(Equal(0.0))

		Expect(os.WriteFile(path, []byte(oneProbe), 0o600)).To(Succeed()) // identical to the running config
		Eventually(func() bool { return w.Status().Successful }, "2s").Should(BeTrue())
		st := w.Status()
		Expect(st.Error).To(BeEmpty())
		Expect(st.Errors).To(BeEmpty())
		Expect(st.Generation).To(BeEquivalentTo(1), "nothing was swapped: the config in force is the same")
		Expect(reloadGauge(reg)).To(Equal(1.0))
		Expect(swaps.Load()).To(BeZero())
	})

	It("keeps watching when the change hook panics, and counts the panic", func() {
		path, w, reg := startWatcher(oneProbe, func(*config.Config) { panic("hook bug") })
		Expect(os.WriteFile(path, []byte(twoProbes), 0o600)).To(Succeed())
		Eventually(func() int { return len(w.Current().Probes) }, "2s").Should(Equal(2))
		Eventually(func() float64 { return seriesValue(reg, "swarmlink_panics_total", "config") }, "2s").Should(Equal(1.0))

		By("a later edit is still seen")
		Expect(os.WriteFile(path, []byte(oneProbe), 0o600)).To(Succeed())
		Eventually(func() int { return len(w.Current().Probes) }, "2s").Should(Equal(1))
		Eventually(func() float64 { return seriesValue(reg, "swarmlink_panics_total", "config") }, "2s").Should(Equal(2.0))
		Expect(w.Status().Successful).To(BeTrue())
	})

	It("reports the sections pending a restart in Status and swarmlink_config_pending_restart", func() {
		_, w, reg := startWatcher(oneProbe, nil)
		w.SetPendingRestart([]string{"swarm", "schedules"})
		Expect(w.Status().PendingRestart).To(Equal([]string{"schedules", "swarm"}))
		Expect(seriesValue(reg, "swarmlink_config_pending_restart", "schedules")).To(Equal(1.0))
		w.SetPendingRestart(nil)
		Expect(w.Status().PendingRestart).To(BeEmpty())
		Expect(seriesValue(reg, "swarmlink_config_pending_restart", "schedules")).To(Equal(0.0))
	})
})

// seriesValue reads the value of metric name with its one label set to
// label back from reg (0 when absent).
func seriesValue(reg *prometheus.Registry, name, label string) float64 {
	mfs, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() != label {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}
