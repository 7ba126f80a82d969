package alert_test

import (
	"math"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
)

var _ = Describe("loading the stored queue", func() {
	It("drops entries it could never remove after delivery: under a foreign key, or with an overflowing sequence", func() {
		kv := newMemKV()
		Expect(kv.Put("webhook/ops/x", map[string]any{"seq": 2, "notifier": "webhook/ops"})).To(Succeed())
		Expect(kv.Put("webhook/ops/18446744073709551615",
			map[string]any{"seq": uint64(math.MaxUint64), "notifier": "webhook/ops"})).To(Succeed())
		Expect(kv.Put("webhook/ops/00000000000000000003", map[string]any{"seq": 3, "notifier": "webhook/ops",
			"alert": map[string]any{"fingerprint": "f", "status": "firing"}})).To(Succeed())
		_, err := alert.New(alert.Options{Self: "a", Queue: kv, State: newMemKV(),
			Notifiers: []alert.Notifier{&recorder{name: "webhook/ops"}}, Log: testLogger()})
		Expect(err).NotTo(HaveOccurred())
		Expect(kv.Len()).To(Equal(1), "only the entry under its own key stays")
		found, err := kv.Get("webhook/ops/00000000000000000003", &map[string]any{})
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeTrue())
	})
})
