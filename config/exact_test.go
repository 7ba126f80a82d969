package config_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/config"
)

// problems loads testdata/bad/file and returns the text of every problem.
func problems(file string) []string {
	_, err := config.Load("testdata/bad/" + file)
	var ce *config.Error
	ExpectWithOffset(1, errors.As(err, &ce)).To(BeTrue(), "got %v", err)
	got := make([]string, len(ce.Errors))
	for i, fe := range ce.Errors {
		got[i] = fe.Error()
	}
	return got
}

var _ = Describe("Load reports", func() {
	DescribeTable("every problem of a file at once, with its exact text",
		func(file string, want []string) {
			Expect(problems(file)).To(Equal(want))
		},
		Entry("an unknown field, a bad kind and bad durations in one file", "all-at-once.yaml", []string{
			`testdata/bad/all-at-once.yaml:3:11: probes[0].kind: invalid kind "smtp": expected tcp, http, dns, udp or icmp`,
			`testdata/bad/all-at-once.yaml:5:15: probes[0].interval: invalid duration "5x": expected a duration such as 500ms, 5s or 1m`,
			`testdata/bad/all-at-once.yaml:6:5: probes[0].colour: unknown field "colour" (known: destination, dns, expect, http, icmp, interval, kind, labels, name, schedule, target, tcp, timeout, udp)`,
			`testdata/bad/all-at-once.yaml:10:14: probes[1].timeout: invalid duration "soon": expected a duration such as 500ms, 5s or 1m`,
		}),
	)
})
