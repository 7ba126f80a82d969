package history_test

import (
	"encoding/json"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/history"
)

type delivery struct {
	Alert    string `json:"alert"`
	Attempts int    `json:"attempts"`
}

func keys(kv history.KV) map[string]delivery {
	GinkgoHelper()
	out := map[string]delivery{}
	Expect(kv.ForEach(func(key string, raw json.RawMessage) error {
		var d delivery
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		out[key] = d
		return nil
	})).To(Succeed())
	return out
}

var _ = Describe("KV", func() {
	It("puts, gets, deletes and iterates, and survives reopen", func() {
		path := dbPath()
		s, err := history.Open(path, history.Options{Now: testNow}, testLogger())
		Expect(err).NotTo(HaveOccurred())
		q := s.Bucket("alerts")

		var d delivery
		found, err := q.Get("1", &d)
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeFalse())
		Expect(keys(q)).To(BeEmpty())

		Expect(q.Put("1", delivery{Alert: "down", Attempts: 1})).To(Succeed())
		Expect(q.Put("2", delivery{Alert: "up"})).To(Succeed())
		Expect(q.Put("1", delivery{Alert: "down", Attempts: 2})).To(Succeed())
		Expect(s.Bucket("other").Put("1", delivery{Alert: "elsewhere"})).To(Succeed())
		Expect(q.Delete("2")).To(Succeed())
		Expect(q.Delete("missing")).To(Succeed())
		Expect(s.Bucket("never").Delete("x")).To(Succeed())

		found, err = q.Get("1", &d)
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(BeTrue())
		Expect(d).To(Equal(delivery{Alert: "down", Attempts: 2}))
		Expect(s.Close()).To(Succeed())

		s = openStore(path, history.Options{})
		Expect(keys(s.Bucket("alerts"))).To(Equal(map[string]delivery{"1": {Alert: "down", Attempts: 2}}))
		Expect(keys(s.Bucket("other"))).To(Equal(map[string]delivery{"1": {Alert: "elsewhere"}}))
		// Names of the store's own buckets are separate namespaces.
		Expect(s.Bucket("results").Put("k", delivery{Alert: "mine"})).To(Succeed())
		Expect(keys(s.Bucket("results"))).To(HaveLen(1))
	})

	It("stops ForEach on the callback's error and reports encoding errors", func() {
		q := openStore(dbPath(), history.Options{}).Bucket("q")
		Expect(q.Put("a", 1)).To(Succeed())
		Expect(q.Put("b", 2)).To(Succeed())
		stop := errors.New("stop")
		var seen []string
		err := q.ForEach(func(key string, _ json.RawMessage) error {
			seen = append(seen, key)
			return stop
		})
		Expect(err).To(MatchError(stop))
		Expect(seen).To(Equal([]string{"a"}))
		Expect(q.Put("c", func() {})).To(MatchError(ContainSubstring("encoding q/c")))
	})
})
