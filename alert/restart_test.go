package alert_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/history"
)

var _ = Describe("durability across restarts", func() {
	var (
		ctx     = context.Background()
		clk     *fakeClock
		dbPath  string
		store   *history.Store
		hk      *hook
		keyFile string
	)
	cfg := func() alert.Config {
		return alert.Config{Webhooks: []alert.WebhookConfig{{Name: "ops", URL: hk.URL, KeyFile: keyFile}}}
	}
	// restart closes the store (if open), reopens it and returns a new engine on it.
	restart := func() *alert.Engine {
		if store != nil {
			Expect(store.Close()).To(Succeed())
		}
		var err error
		store, err = history.Open(dbPath, history.Options{}, testLogger())
		Expect(err).NotTo(HaveOccurred())
		e, err := alert.New(alert.Options{Config: cfg(), Self: "a", Queue: store.Bucket(alert.QueueBucket),
			State: store.Bucket(alert.StateBucket), Notifiers: alert.NewNotifiers(cfg(), alert.HTTPOptions{}),
			Clock: clk, Log: testLogger()})
		Expect(err).NotTo(HaveOccurred())
		return e
	}
	pastGrace := func() { clk.Advance(alert.DefaultGrace + time.Second) }

	BeforeEach(func() {
		clk = newFakeClock(t0)
		dbPath = filepath.Join(GinkgoT().TempDir(), "history.db")
		store = nil
		hk = newHook("k3y")
		keyFile = writeKey("k3y")
		DeferCleanup(func() { Expect(store.Close()).To(Succeed()) })
	})

	It("sends no second firing message after a restart while the alert fires, and still resolves it", func() {
		c := check("db", "direct", "pg")
		e := restart()
		feed(e, c, 3, false, clk.Now())
		pastGrace()
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(hk.sent()).To(Equal([2]int{1, 0}))

		e = restart()
		Expect(e.Alerts()).To(HaveLen(1), "restored from the store")
		e.Evaluate(ctx) // during grace, with no results yet: the restored alert stays
		Expect(e.Alerts()).To(HaveLen(1))
		feed(e, c, 1, true, clk.Now())
		pastGrace()
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1), "one lucky result after a restart does not resolve it")
		feed(e, c, 3, false, clk.Now())
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(hk.sent()).To(Equal([2]int{1, 0}))

		feed(e, c, 2, true, clk.Now())
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(hk.sent()).To(Equal([2]int{1, 1}))
		Expect(e.Alerts()).To(BeEmpty())
		Expect(hk.badCount()).To(BeZero(), "every message was signed correctly")
	})

	It("loses nothing queued when the receiver was down at the restart, and sends it once", func() {
		hk.setStatus(http.StatusServiceUnavailable)
		e := restart()
		feed(e, check("db", "direct", "pg"), 3, false, clk.Now())
		pastGrace()
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(hk.sent()).To(Equal([2]int{0, 0}))

		hk.setStatus(0)
		e = restart()
		e.Deliver(ctx)
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(hk.sent()).To(Equal([2]int{1, 0}))
		Expect(store.Bucket(alert.QueueBucket).ForEach(func(string, json.RawMessage) error {
			Fail("the queue should be empty")
			return nil
		})).To(Succeed())
	})

	It("resolves a restored alert whose peer is gone once the restore timeout passes", func() {
		e := restart()
		feed(e, check("b", "overlay", "overlay-tcp"), 3, false, clk.Now())
		pastGrace()
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(HaveLen(1))
		e = restart()
		clk.Advance(5 * time.Minute)
		e.Evaluate(ctx)
		Expect(e.Alerts()).To(HaveLen(1), "no results from b yet: keep it")
		clk.Advance(6 * time.Minute)
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(BeEmpty())
		Expect(hk.sent()).To(Equal([2]int{1, 1}))
	})

	It("keeps a restored one-way alert until its inbound link reports again", func() {
		out := check("b", "published", "published-tcp")
		e := restart()
		pastGrace()
		for range 3 {
			feed(e, out, 1, false, clk.Now())
			e.Record(ctx, inbound("b", "published"), pass(clk.Now()))
		}
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameLinkOneWay)))

		e = restart() // b has not found the restarted agent yet: nothing arrives
		feed(e, out, 3, false, clk.Now())
		pastGrace()
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameLinkOneWay)), "its inbound link is not back")
		e.Record(ctx, inbound("b", "published"), pass(clk.Now()))
		e.Evaluate(ctx)
		e.Deliver(ctx)
		Expect(e.Alerts()).To(ConsistOf(HaveField("Name", alert.NameLinkOneWay)))
		Expect(hk.sent()).To(Equal([2]int{1, 0}), "one firing message, no resolve in between")
	})
})
