package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
		Entry("every value outside its bounds, with the value and the bound", "limits.yaml", []string{
			`testdata/bad/limits.yaml:2:20: agent.resync_interval: duration 10ms is below the minimum 1s`,
			`testdata/bad/limits.yaml:4:13: defaults.interval: duration 48h0m0s is above the maximum 24h0m0s`,
			`testdata/bad/limits.yaml:6:19: history.flush_interval: duration 1ns is below the minimum 10ms`,
			`testdata/bad/limits.yaml:11:15: probes[0].interval: duration 1ns is below the minimum 100ms`,
			`testdata/bad/limits.yaml:12:14: probes[0].timeout: duration 1ns is below the minimum 1ms`,
			`testdata/bad/limits.yaml:17:18: probes[1].udp.count: invalid value 1000000000: expected 0 to 100`,
			`testdata/bad/limits.yaml:22:19: probes[2].icmp.count: invalid count 1000000000: expected 1-100`,
			`testdata/bad/limits.yaml:22:41: probes[2].icmp.interval: duration 1m0s is above the maximum 10s`,
			`testdata/bad/limits.yaml:27:24: probes[3].dns.min_answers: invalid value 1000000000: expected 0 to 1000`,
			`testdata/bad/limits.yaml:32:20: probes[4].http.method: invalid method "get me": expected an HTTP method in capitals such as GET or HEAD`,
			`testdata/bad/limits.yaml:37:13: mesh.interval: duration 1ns is below the minimum 100ms`,
			`testdata/bad/limits.yaml:38:12: mesh.timeout: duration 1ns is below the minimum 1ms`,
			`testdata/bad/limits.yaml:39:14: mesh.udp_count: invalid value 1000000000: expected 1 to 100`,
			`testdata/bad/limits.yaml:40:13: mesh.subset_k: invalid value 1000000000: expected 0 to 1000`,
			`testdata/bad/limits.yaml:41:16: mesh.max_payload: invalid value 2000000000: expected 1024 to 1048576`,
			`testdata/bad/limits.yaml:42:15: mesh.large_size: invalid value 2000000001: expected -1 (off) or 1 to max_payload (1048576)`,
			`testdata/bad/limits.yaml:44:13: swarm.interval: duration 25h0m0s is above the maximum 24h0m0s`,
			`testdata/bad/limits.yaml:45:12: swarm.timeout: duration 2h0m0s is above the maximum 1h0m0s`,
			`testdata/bad/limits.yaml:46:12: swarm.refresh: duration 1ms is below the minimum 1s`,
			`testdata/bad/limits.yaml:49:11: alerting.window: invalid value 1000000000: expected 1 to 100 results`,
			`testdata/bad/limits.yaml:50:10: alerting.grace: duration 1000h0m0s is above the maximum 24h0m0s`,
			`testdata/bad/limits.yaml:51:50: alerting.alertmanager.timeout: duration 1h0m0s is above the maximum 5m0s`,
		}),
		Entry("raw results kept longer than the rollups made of them", "history.yaml", []string{
			`testdata/bad/history.yaml:3:18: history.raw_retention: duration 3h0m0s is longer than history.retention (2h0m0s): raw results cannot outlive the rollups made of them`,
		}),
		Entry("an encrypted network's subnet that is not one", "encrypted.yaml", []string{
			`testdata/bad/encrypted.yaml:5:21: mesh.encrypted_subnet: invalid subnet "10.201.0/24": expected an address prefix such as 10.201.0.0/24`,
		}),
	)

	DescribeTable("keeps raw results 15 minutes unless told, and never longer than the rollups",
		func(yaml string, raw time.Duration) {
			c, err := config.Parse("h.yaml", []byte(yaml))
			Expect(err).NotTo(HaveOccurred())
			Expect(c.History.RawRetention).To(Equal(raw))
		},
		Entry("defaults", "{}", 15*time.Minute),
		Entry("a retention shorter than the default raw window", "history: {retention: 10m}", 10*time.Minute),
		Entry("set", "history: {raw_retention: 2h}", 2*time.Hour),
	)

	It("rejects a file over 4 MiB before parsing it, naming the file and its size", func() {
		path := filepath.Join(GinkgoT().TempDir(), "huge.yaml")
		Expect(os.WriteFile(path, []byte("probes: []\n"+strings.Repeat("#", config.MaxFileBytes)), 0o600)).To(Succeed())
		_, err := config.Load(path)
		Expect(err).To(MatchError(fmt.Sprintf("invalid config %[1]s (1 problems):\n  %[1]s: file is 4194315 bytes: at most 4194304 (4 MiB)", path)))
	})

	DescribeTable("rejects lists, mappings and strings over their bounds without decoding them",
		func(yaml string, want string) {
			_, err := config.Parse("big.yaml", []byte(yaml))
			var ce *config.Error
			Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
			Expect(ce.Errors).To(HaveLen(1))
			Expect(ce.Errors[0].Error()).To(Equal(want))
		},
		Entry("10 001 probes", "probes:\n"+strings.Repeat("  - {name: a, kind: tcp, target: '127.0.0.1:1'}\n", 10001),
			"big.yaml:2:3: probes: list of 10001 entries: at most 10000"),
		Entry("1001 schedules", "schedules:\n"+strings.Repeat("  - {name: a, cron: '@daily'}\n", 1001),
			"big.yaml:2:3: schedules: list of 1001 entries: at most 1000"),
		Entry("101 labels", "probes:\n  - name: a\n    kind: tcp\n    target: '127.0.0.1:1'\n    labels: {"+
			strings.Repeat("x: y, ", 100)+"z: y}\n", "big.yaml:5:13: probes[0].labels: mapping of 101 entries: at most 100"),
		Entry("a 4097-byte target", "probes:\n  - {name: a, kind: tcp, target: "+strings.Repeat("x", 4097)+"}\n",
			"big.yaml:2:34: probes[0].target: value of 4097 bytes: at most 4096"),
	)
})
