// Command load is swarmlink's load harness for the peer responder. It starts
// a real mesh.Responder and, as the baseline, a plain TCP and a plain UDP
// echo server, all on loopback in this process; drives C concurrent clients
// against each for D per phase; and prints throughput and latency
// percentiles as ratios against the baseline measured in the same run. A
// last pair of phases adds abuse (a flood of unauthenticated UDP datagrams
// and bad TCP frames) to legitimate traffic and reports the latency ratio
// with/without abuse, the responder's drop counters (read from its
// Prometheus registry) and the process's RSS before, during and after.
//
// It only ever talks to addresses in 127.0.0.0/8, it is bounded in time
// (every phase ends after D, at most 60 s) and in count (-n requests per
// phase), and it stops by itself. It is not part of make test:
//
//	go run ./test/load [-c 32] [-d 5s] [-size 64] [-flood-pps 20000] ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// maxPhase bounds -d: the harness must stop by itself in a few minutes.
const maxPhase = 60 * time.Second

// config is the harness's flags.
type config struct {
	host      string
	clients   int
	phase     time.Duration
	maxOps    int64
	rate      int // legitimate requests per second, all clients together; 0 = unpaced
	mixedRate int // the same in the mixed (abuse and no-abuse) phases
	size      int
	timeout   time.Duration
	floodPPS  int
	floodSize int
	badFrames int // bad TCP frames (connections) per second
	idleConns int
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.budget())
	defer cancel()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&c.host, "host", "127.0.0.1", "loopback address to listen on and load (127.0.0.0/8 only)")
	fs.IntVar(&c.clients, "c", 32, "concurrent legitimate clients per phase (1-1024)")
	fs.DurationVar(&c.phase, "d", 5*time.Second, "duration of each comparison (at most 60s); the run takes about 7 of them")
	fs.IntVar(&c.rate, "rate", 0, "requests per second of all clients together in the responder/baseline phases (0 = each as fast as it can)")
	fs.IntVar(&c.mixedRate, "mixed-rate", 2000, "requests per second of all clients together in the abuse/no-abuse phases (0 = unpaced)")
	fs.Int64Var(&c.maxOps, "n", 2_000_000, "at most this many requests per phase")
	fs.IntVar(&c.size, "size", 64, "echo payload bytes (UDP is capped to one datagram)")
	fs.DurationVar(&c.timeout, "timeout", time.Second, "per-request timeout")
	fs.IntVar(&c.floodPPS, "flood-pps", 20000, "unauthenticated UDP datagrams per second in the abuse phase (0 = none, -1 = as fast as possible)")
	fs.IntVar(&c.floodSize, "flood-size", 1024, "bytes per flood datagram")
	fs.IntVar(&c.badFrames, "bad-frames", 500, "TCP connections per second sending a bad frame in the abuse phase (0 = none)")
	fs.IntVar(&c.idleConns, "idle-conns", 0, "idle TCP connections held open in the abuse phase (slowloris; responder allows 256)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c config) validate() error {
	ip := net.ParseIP(c.host)
	switch {
	case ip == nil || ip.To4() == nil || !ip.IsLoopback():
		return fmt.Errorf("-host %q: want an IPv4 loopback address (127.0.0.0/8)", c.host)
	case c.clients < 1 || c.clients > 1024:
		return errors.New("-c: want 1 to 1024")
	case c.phase <= 0 || c.phase > maxPhase:
		return fmt.Errorf("-d: want more than 0 and at most %s", maxPhase)
	case c.maxOps < 1:
		return errors.New("-n: want at least 1")
	case c.size < 1 || c.size > 64<<10:
		return errors.New("-size: want 1 to 65536")
	case c.timeout <= 0 || c.timeout > 10*time.Second:
		return errors.New("-timeout: want more than 0 and at most 10s")
	case c.rate < 0 || c.mixedRate < 0:
		return errors.New("-rate, -mixed-rate: want 0 or more")
	case c.floodPPS < -1 || c.badFrames < 0 || c.idleConns < 0 || c.idleConns > 4096:
		return errors.New("-flood-pps: want -1 or more; -bad-frames: 0 or more; -idle-conns: 0 to 4096")
	case c.floodSize < 1 || c.floodSize > 65000:
		return errors.New("-flood-size: want 1 to 65000")
	}
	return nil
}
