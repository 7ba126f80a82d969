package config_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/config"
)

const oneProbe = "probes:\n  - {name: a, kind: tcp, target: '127.0.0.1:1', interval: 1s}\n"
const twoProbes = oneProbe + "  - {name: b, kind: tcp, target: '127.0.0.1:2', interval: 1s}\n"

var _ = Describe("Watcher", func() {
	var (
		path    string
		w       *config.Watcher
		reg     *prometheus.Registry
		changes chan *config.Config
		hup     chan os.Signal
		cancel  context.CancelFunc
	)
	BeforeEach(func() {
		path = filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
		Expect(os.WriteFile(path, []byte(oneProbe), 0o600)).To(Succeed())
		initial, err := config.Load(path)
		Expect(err).NotTo(HaveOccurred())
		reg = prometheus.NewRegistry()
		changes = make(chan *config.Config, 10)
		w = config.NewWatcher(path, initial, zap.NewNop(), reg, func(c *config.Config) { changes <- c })
		hup = make(chan os.Signal, 1)
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = w.Start(ctx, hup) }()
		DeferCleanup(func() { cancel(); <-done })
		time.Sleep(50 * time.Millisecond) // let the fsnotify watch settle
	})

	gauge := func() float64 { return reloadGauge(reg) }

	It("swaps in a valid edit seen on disk", func() {
		Expect(os.WriteFile(path, []byte(twoProbes), 0o600)).To(Succeed())
		Eventually(changes, "2s").Should(Receive(WithTransform(func(c *config.Config) int { return len(c.Probes) }, Equal(2))))
		Expect(w.Current().Probes).To(HaveLen(2))
		Expect(w.Status().Generation).To(BeEquivalentTo(2))
		Expect(gauge()).To(Equal(1.0))
	})

	It("keeps the last good config on a broken edit and reports it", func() {
		Expect(os.WriteFile(path, []byte("probes:\n  - {name: a, kind: tcp, target: nope, interval: 1s}\n"), 0o600)).To(Succeed())
		Eventually(func() bool { return w.Status().Successful }, "2s").Should(BeFalse())
		st := w.Status()
		Expect(st.Error).To(ContainSubstring("probes[0].target"))
		Expect(st.Errors).To(HaveLen(1))
		Expect(w.Current().Probes[0].Target).To(Equal("127.0.0.1:1"))
		Expect(gauge()).To(Equal(0.0))
		Expect(changes).NotTo(Receive())

		By("a later good edit recovers")
		Expect(os.WriteFile(path, []byte(twoProbes), 0o600)).To(Succeed())
		Eventually(changes, "2s").Should(Receive())
		Expect(w.Status().Successful).To(BeTrue())
		Expect(gauge()).To(Equal(1.0))
	})

	It("reloads on SIGHUP even when the file did not change", func() {
		hup <- syscall.SIGHUP
		Eventually(changes, "2s").Should(Receive())
		Expect(w.Status().Generation).To(BeEquivalentTo(2))
	})

	It("ignores an event that did not change the content", func() {
		Expect(os.WriteFile(path, []byte(oneProbe), 0o600)).To(Succeed())
		Consistently(changes, "400ms").ShouldNot(Receive())
	})
})

// reloadGauge reads swarmlink_config_last_reload_successful back from reg.
func reloadGauge(reg *prometheus.Registry) float64 {
	mfs, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, mf := range mfs {
		if mf.GetName() == "swarmlink_config_last_reload_successful" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	Fail("swarmlink_config_last_reload_successful not registered")
	return -1
}
