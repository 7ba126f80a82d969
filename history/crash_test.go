package history_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/history"
)

// The child process is this test binary re-executed with these variables.
const (
	crashChildEnv = "SWARMLINK_HISTORY_CRASH_DB"
	crashRoundEnv = "SWARMLINK_HISTORY_CRASH_ROUND"
	crashEvery    = 50 // records per Flush in the child
)

// crashRecord is record i of round: one every millisecond, failing in runs
// of three (i%10 in 0..2) so that outages are written along with results.
func crashRecord(round, i int) history.Record {
	passed := i%10 > 2
	return history.Record{
		Time:   t0.Add(time.Duration(round)*time.Hour + time.Duration(i)*time.Millisecond),
		Source: "round-" + strconv.Itoa(round), Destination: "peer", Path: "overlay", Probe: "peer",
		Direction: history.DirectionOutbound, Passed: passed, Cause: map[bool]string{true: "ok", false: "timeout"}[passed],
		Details: map[string]any{"i": i},
	}
}

// crashChild appends forever, printing "COMMITTED n" after each Flush that
// made the first n records durable, until the parent kills it.
func crashChild() int {
	round, _ := strconv.Atoi(os.Getenv(crashRoundEnv))
	s, err := history.Open(os.Getenv(crashChildEnv),
		history.Options{FlushInterval: time.Millisecond, BatchSize: 16, Now: testNow}, zap.NewNop())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	go func() { _ = s.Start(ctx) }()
	for i := 0; ; {
		for end := i + crashEvery; i < end; i++ {
			if err := s.Append(ctx, crashRecord(round, i)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		if err := s.Flush(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("COMMITTED %d\n", i) // os.Stdout is unbuffered
	}
}

// runAndKill runs a child on path and SIGKILLs it delay after it reported at
// least killAfter records committed, while it is still appending and
// committing. It returns the last count the child reported.
func runAndKill(path string, round, killAfter int, delay time.Duration) int {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashRoundEnv+"="+strconv.Itoa(round))
	cmd.Stderr = GinkgoWriter
	out, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())

	committed := 0
	lines := bufio.NewScanner(out)
	for lines.Scan() { // keeps reading after the kill: lines already printed count
		var n int
		_, err := fmt.Sscanf(lines.Text(), "COMMITTED %d", &n)
		Expect(err).NotTo(HaveOccurred(), "child said %q", lines.Text())
		if committed < killAfter && n >= killAfter {
			time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		}
		committed = n
	}
	var exit *exec.ExitError
	Expect(errors.As(cmd.Wait(), &exit)).To(BeTrue())
	Expect(exit.Sys().(syscall.WaitStatus).Signal()).To(Equal(syscall.SIGKILL))
	return committed
}

// checkFile runs bbolt's own consistency check on the database file.
func checkFile(path string) {
	GinkgoHelper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	Expect(err).NotTo(HaveOccurred())
	defer func() { Expect(db.Close()).To(Succeed()) }()
	var problems []error
	Expect(db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		return nil
	})).To(Succeed())
	Expect(problems).To(BeEmpty())
}

// roundIndices returns every record index of round stored, paging by Until.
func roundIndices(s *history.Store, round int) map[int]bool {
	GinkgoHelper()
	seen := map[int]bool{}
	f := history.Filter{Source: "round-" + strconv.Itoa(round), Limit: history.MaxLimit}
	for {
		page, err := s.Query(context.Background(), f)
		Expect(err).NotTo(HaveOccurred())
		for _, r := range page {
			seen[int(r.Details["i"].(float64))] = true
		}
		if len(page) < f.Limit {
			return seen
		}
		f.Until = page[len(page)-1].Time.Add(-time.Nanosecond)
	}
}

var _ = Describe("Crash safety", func() {
	It("keeps every committed record and a consistent file across kill -9", func() {
		path := filepath.Join(GinkgoT().TempDir(), "history.db")
		delays := []time.Duration{0, 3 * time.Millisecond, 11 * time.Millisecond}
		for round, killAfter := range []int{200, 600, 1500} {
			start := time.Now()
			committed := runAndKill(path, round, killAfter, delays[round])
			Expect(committed).To(BeNumerically(">=", killAfter))
			checkFile(path)

			s, err := history.Open(path, history.Options{Now: testNow}, testLogger())
			Expect(err).NotTo(HaveOccurred())
			seen := roundIndices(s, round)
			for i := range committed {
				Expect(seen).To(HaveKey(i), "round %d: committed record %d missing", round, i)
			}
			GinkgoWriter.Printf("round %d: reported %d committed, found %d, %v\n",
				round, committed, len(seen), time.Since(start))

			// Outages commit with their results: runs of three failures each.
			ts, err := s.Transitions(context.Background(),
				history.Filter{Source: "round-" + strconv.Itoa(round), Limit: history.MaxLimit})
			Expect(err).NotTo(HaveOccurred())
			Expect(len(ts)).To(BeNumerically(">=", (committed+9)/10))
			for _, t := range ts[1:] {
				Expect(t.Failures).To(Equal(3))
				Expect(t.End).NotTo(BeNil())
			}
			Expect(s.Close()).To(Succeed())
		}
	})
})
