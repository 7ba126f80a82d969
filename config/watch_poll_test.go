package config_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/swarmlink/swarmlink/config"
)

var _ = Describe("Watcher without inotify", func() {
	It("polls the file, reloads what changed, and says once that it polls", func() {
		DeferCleanup(config.SetNotifier(func() (*fsnotify.Watcher, error) {
			return nil, fmt.Errorf("couldn't initialize inotify: %w", syscall.EMFILE)
		}, 20*time.Millisecond))
		path := filepath.Join(GinkgoT().TempDir(), "swarmlink.yaml")
		Expect(os.WriteFile(path, []byte(oneProbe), 0o600)).To(Succeed())
		initial, err := config.Load(path)
		Expect(err).NotTo(HaveOccurred())
		core, logs := observer.New(zap.InfoLevel)
		changes := make(chan *config.Config, 10)
		w := config.NewWatcher(path, initial, zap.New(core), prometheus.NewRegistry(), func(c *config.Config) { changes <- c })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Start(ctx, nil) }()
		DeferCleanup(func() { cancel(); Eventually(done).Should(Receive(BeNil())) })

		Eventually(func() int { return logs.FilterMessage("config file not watched by inotify; polling it instead").Len() }).Should(Equal(1))
		Consistently(changes, "100ms").ShouldNot(Receive(), "an unchanged file is not reloaded")
		Expect(os.WriteFile(path, []byte(twoProbes), 0o600)).To(Succeed())
		Eventually(changes, "2s").Should(Receive(WithTransform(func(c *config.Config) int { return len(c.Probes) }, Equal(2))))

		By("a broken edit is refused once, not on every poll")
		Expect(os.WriteFile(path, []byte("probes:\n  - {name: a, kind: tcp, target: nope, interval: 1s}\n"), 0o600)).To(Succeed())
		Eventually(func() bool { return w.Status().Successful }, "2s").Should(BeFalse())
		Consistently(func() int { return logs.FilterMessage("config reload failed; keeping the last good config").Len() }, "150ms").Should(Equal(1))
		Expect(w.Current().Probes).To(HaveLen(2))
		Expect(logs.FilterMessage("config file not watched by inotify; polling it instead").Len()).To(Equal(1))
	})
})
