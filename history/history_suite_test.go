package history_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/swarmlink/swarmlink/history"
)

// TestMain lets the kill -9 test re-execute this binary as the child that
// writes to the store and gets killed (see crash_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

func TestHistory(t *testing.T) {
	RegisterFailHandler(Fail)
	// Commits fsync; on a busy machine they can take far longer than usual.
	SetDefaultEventuallyTimeout(10 * time.Second)
	RunSpecs(t, "History Suite")
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testNow is the stores' clock in tests, so that retention pruning at Start
// never removes test data because the real clock has moved on.
func testNow() time.Time { return t0 }

func testLogger() *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(GinkgoWriter), zap.DebugLevel))
}

// dbPath is a fresh database path in a directory that does not exist yet.
func dbPath() string {
	return filepath.Join(GinkgoT().TempDir(), "data", "history.db")
}

// openStore opens path; the store is closed when the spec ends.
func openStore(path string, opts history.Options) *history.Store {
	if opts.Now == nil {
		opts.Now = testNow
	}
	s, err := history.Open(path, opts, testLogger())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}

// startStore opens path and runs its writer until the spec ends.
func startStore(path string, opts history.Options) *history.Store {
	s := openStore(path, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done).Should(Receive(BeNil()))
	})
	return s
}

func appendAll(s *history.Store, recs ...history.Record) {
	GinkgoHelper()
	ctx := context.Background()
	for _, r := range recs {
		Expect(s.Append(ctx, r)).To(Succeed())
	}
	Expect(s.Flush(ctx)).To(Succeed())
}

func messages(recs []history.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Message
	}
	return out
}

// rec is an outbound tcp record of source "a" at t0+sec.
func rec(sec int, dst string, passed bool, cause string) history.Record {
	return history.Record{
		Time: t0.Add(time.Duration(sec) * time.Second), Source: "a", Destination: dst,
		Path: "direct", Probe: "tcp", Direction: history.DirectionOutbound, Kind: "tcp",
		Passed: passed, Reachable: passed, Cause: cause, Message: cause,
	}
}

// secondsAfterT0 is t0 plus sec seconds.
func secondsAfterT0(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// echoAB is a UDP echo result of a → b on the overlay at t0+sec: sent
// datagrams, received answers, their mean RTT; passed when any came back.
func echoAB(sec, sent, received int, rtt float64) history.Record {
	return history.Record{Time: secondsAfterT0(sec), Source: "a", Destination: "b", Path: "overlay", Probe: "overlay-udp",
		Direction: history.DirectionOutbound, Kind: "peer", Passed: received > 0, Reachable: received > 0,
		Details: map[string]any{"sent": sent, "received": received, "rtt_seconds": rtt}}
}

// windowAfterT0 is f over [t0+since, t0+until] seconds.
func windowAfterT0(f history.Filter, since, until int) history.Filter {
	f.Since, f.Until = secondsAfterT0(since), secondsAfterT0(until)
	return f
}

// twoMinutesOfEchoes is a → b's echoes of two minutes from t0: minute 0 ten
// echoes of 4, RTT 1 to 10 ms, one datagram lost; minute 2 everything lost.
func twoMinutesOfEchoes() []history.Record {
	var out []history.Record
	for i := range 10 {
		out = append(out, echoAB(5*i, 4, 4-i/9, float64(i+1)/1000))
	}
	return append(out, echoAB(120, 4, 0, 0), echoAB(150, 4, 0, 0))
}
