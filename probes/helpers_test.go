package probes_test

import (
	"context"
	"net"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
)

// run runs spec with p under a background context, like the controller does.
func run(p probes.Prober, spec probes.Spec) probes.Result {
	if spec.Timeout == 0 {
		spec.Timeout = 5 * time.Second // generous: only a failing probe waits for it
	}
	return probes.Run(context.Background(), p, spec)
}

// listenTCP listens on a random loopback port, closed at cleanup.
func listenTCP() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = ln.Close() })
	return ln
}

// listenUDP listens on a random loopback port, closed at cleanup.
func listenUDP() net.PacketConn {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = pc.Close() })
	return pc
}

// closedTCPAddr returns a loopback address nothing listens on.
func closedTCPAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return addr
}

// closedUDPAddr returns a loopback UDP address nothing listens on.
func closedUDPAddr() string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := pc.LocalAddr().String()
	Expect(pc.Close()).To(Succeed())
	return addr
}

// serveTCP accepts connections on ln and hands each to handle in its own
// goroutine until ln is closed; cleanup closes every connection and waits
// for every goroutine.
func serveTCP(ln net.Listener, handle func(net.Conn)) {
	var (
		handlers sync.WaitGroup
		conns    []net.Conn
	)
	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			handlers.Go(func() { defer GinkgoRecover(); handle(c) })
		}
	}()
	DeferCleanup(func() {
		_ = ln.Close()
		<-accepting // conns is ours from here on
		for _, c := range conns {
			_ = c.Close()
		}
		handlers.Wait()
	})
}
