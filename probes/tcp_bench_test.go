package probes_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// BenchmarkTCPConnect is a TCP probe to a loopback listener through
// probes.Run (as a controller job runs it) against the bare minimum that
// answers the same question: net.Dial and Close. Read the ratio
// probe/baseline of the same run.
func BenchmarkTCPConnect(b *testing.B) {
	addr := benchListener(b, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			_ = c.Close()
		}
	})
	b.Run("probe", func(b *testing.B) {
		benchRun(b, &probes.TCP{}, probes.Spec{Kind: probes.KindTCP, Target: addr, Timeout: 2 * time.Second})
	})
}

// BenchmarkTCPSendExpect is a probe that writes a line and waits for an
// expected reply, against a bare dial, write, read and compare.
func BenchmarkTCPSendExpect(b *testing.B) {
	addr := benchListener(b, func(c net.Conn) {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil {
			_, _ = io.WriteString(c, "+OK "+line)
		}
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 64)
		for b.Loop() {
			if err := bareSendExpect(addr, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("probe", func(b *testing.B) {
		benchRun(b, &probes.TCP{}, probes.Spec{Kind: probes.KindTCP, Target: addr, Timeout: 2 * time.Second,
			TCP: &probes.TCPOptions{Send: "PING\n", Expect: "+OK"}})
	})
}

func benchRun(b *testing.B, p probes.Prober, spec probes.Spec) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := probes.Run(ctx, p, spec); !r.Passed {
			b.Fatalf("probe failed: %s: %s", r.Cause, r.Message)
		}
	}
}

func bareSendExpect(addr string, buf []byte) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "PING\n"); err != nil {
		return err
	}
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !strings.Contains(string(buf[:n]), "+OK") {
		return errors.New("unexpected reply")
	}
	return nil
}

// benchListener serves handle on every connection of a loopback listener
// until b ends.
func benchListener(b *testing.B, handle func(net.Conn)) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			})
		}
	})
	return ln.Addr().String()
}
