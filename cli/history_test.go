package cli_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
)

var update = flag.Bool("update", false, "rewrite cli/testdata/*.golden from the current output")

type noChecks struct{}

func (noChecks) Checks() []controller.CheckStatus { return nil }

// expectGolden compares got with testdata/name, or rewrites it with -update.
func expectGolden(name, got string) {
	GinkgoHelper()
	path := filepath.Join("testdata", name)
	if *update {
		Expect(os.WriteFile(path, []byte(got), 0o644)).To(Succeed())
	}
	want, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "run go test ./cli -args -update to create it")
	Expect(got).To(Equal(string(want)))
}

// historyAgent serves the real API over a real history store holding a
// fixed story between node1 and node2, and returns the API's URL.
func historyAgent() string {
	store, err := history.Open(filepath.Join(GinkgoT().TempDir(), "history.db"), history.Options{
		Now: func() time.Time { return t0.Add(time.Hour) }}, zap.NewNop())
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- store.Start(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
		Expect(store.Close()).To(Succeed())
	})
	for _, r := range story() {
		Expect(store.Append(ctx, r)).To(Succeed())
	}
	Expect(store.Flush(ctx)).To(Succeed())
	srv := httptest.NewServer(api.New(api.Options{Checks: noChecks{}, History: store,
		Gatherer: prometheus.NewRegistry(), Log: zap.NewNop()}).Handler())
	DeferCleanup(srv.Close)
	return srv.URL
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// story: node1's overlay tcp echo to node2 fails twice (an outage that
// ended), its published udp echo to node2 fails from the last result on (an
// outage still open), and node3 probes node1 (not a link of node2).
func story() []history.Record {
	rec := func(sec int, src, dst, path, probe string, passed bool, cause, msg string, took float64) history.Record {
		return history.Record{Time: t0.Add(time.Duration(sec) * time.Second), Source: src, Destination: dst,
			Path: path, Probe: probe, Direction: history.DirectionOutbound, Kind: "peer", Passed: passed,
			Reachable: passed, Cause: cause, Message: msg, DurationSeconds: took}
	}
	ok := "echo answered"
	return []history.Record{
		rec(0, "node1", "node2", "overlay", "overlay-tcp", true, "ok", ok, 0.000812),
		rec(0, "node1", "node2", "published", "published-udp", true, "ok", ok, 0.0011),
		rec(10, "node1", "node2", "overlay", "overlay-tcp", false, "timeout", "tcp echo to 10.0.1.3:9471:\ni/o timeout", 3),
		rec(20, "node1", "node2", "overlay", "overlay-tcp", false, "timeout", "tcp echo to 10.0.1.3:9471: i/o timeout", 3),
		rec(30, "node1", "node2", "overlay", "overlay-tcp", true, "ok", ok, 0.000904),
		rec(30, "node1", "node2", "published", "published-udp", false, "refused", "udp echo: connection refused", 0.0004),
		rec(40, "node3", "node1", "overlay", "overlay-tcp", true, "ok", ok, 0.0007),
	}
}

var _ = Describe("history and outages", func() {
	var addr string
	since := t0.Add(-time.Hour).Format(time.RFC3339)
	BeforeEach(func() { addr = historyAgent() })

	It("prints one link's results, newest first (golden)", func() {
		s := run("history", "--addr", addr, "--source", "node1", "--destination", "node2", "--path", "overlay", "--since", since)
		Expect(s.ExitCode()).To(Equal(0), string(s.Err.Contents()))
		expectGolden("history.golden", string(s.Out.Contents()))
	})

	It("prints every outage from or to a node, an open one as ongoing (golden)", func() {
		s := run("outages", "--addr", addr, "--node", "node2", "--since", since)
		Expect(s.ExitCode()).To(Equal(0), string(s.Err.Contents()))
		expectGolden("outages.golden", string(s.Out.Contents()))
	})

	It("answers --node with the links the node is either end of", func() {
		s := run("history", "--addr", addr, "--node", "node1", "--since", since, "--format", "json")
		Expect(s.ExitCode()).To(Equal(0))
		var recs []history.Record
		Expect(json.Unmarshal(s.Out.Contents(), &recs)).To(Succeed())
		Expect(recs).To(HaveLen(7), "six as source, one as destination")
		Expect(recs[0].Source).To(Equal("node3"), "newest first across both queries")
	})

	It("prints [] in json and a sentence in a table when nothing matches", func() {
		s := run("outages", "--addr", addr, "--source", "node3", "--since", since, "--format", "json")
		Expect(s.ExitCode()).To(Equal(0))
		Expect(string(s.Out.Contents())).To(Equal("[]\n"))
		s = run("history", "--addr", addr, "--source", "nobody", "--since", since)
		Expect(string(s.Out.Contents())).To(Equal("no results recorded in this window\n"))
	})

	DescribeTable("refuses bad usage with exit code 2 and the reason",
		func(reason string, args ...string) {
			s := run(append([]string{"--addr", addr}, args...)...)
			Expect(s.ExitCode()).To(Equal(2))
			Expect(string(s.Err.Contents())).To(ContainSubstring(reason))
		},
		Entry("no link", "no link given", "history"),
		Entry("node and source", "--node: cannot be combined", "outages", "--node", "a", "--source", "b"),
		Entry("bad format", `--format: invalid value "yaml"`, "history", "--source", "a", "--format", "yaml"),
	)

	It("passes the agent's own error through", func() {
		s := run("history", "--addr", addr, "--source", "a", "--since", "yesterday")
		Expect(s.ExitCode()).To(Equal(1))
		Expect(string(s.Err.Contents())).To(ContainSubstring(`since: invalid time "yesterday"`))
	})
})
