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
