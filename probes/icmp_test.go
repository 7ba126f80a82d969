package probes_test

import (
	"net"
	"os"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/swarmlink/swarmlink/probes"
)

// canListen reports whether this process may open an ICMP socket of network.
func canListen(network string) bool {
	c, err := icmp.ListenPacket(network, "0.0.0.0")
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// denied is an icmp.ListenPacket that fails like the kernel does without
// the privilege: EACCES for datagram sockets, EPERM for raw ones.
func denied(network, _ string) (net.PacketConn, error) {
	errno := syscall.EPERM
	if network == "udp4" || network == "udp6" {
		errno = syscall.EACCES
	}
	return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("socket", errno)}
}

// dropReplies wraps a real ICMP socket and hides the echo replies whose
// sequence number drop selects, as a lossy link would.
type dropReplies struct {
	net.PacketConn
	drop func(seq int) bool
}

func (d *dropReplies) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := d.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		msg, perr := icmp.ParseMessage(1, b[:n])
		if perr == nil && msg.Type == ipv4.ICMPTypeEchoReply && d.drop(msg.Body.(*icmp.Echo).Seq) {
			continue
		}
		return n, addr, nil
	}
}

// lossy listens like the default (datagram, then raw) and drops replies.
func lossy(drop func(seq int) bool) func(network, address string) (net.PacketConn, error) {
	return func(network, address string) (net.PacketConn, error) {
		c, err := icmp.ListenPacket(network, address)
		if err != nil {
			return nil, err
		}
		return &dropReplies{PacketConn: c, drop: drop}, nil
	}
}

var _ = Describe("ICMP", func() {
	fast := &probes.ICMPOptions{Count: 3, Interval: 20 * time.Millisecond}
	loopback := probes.Spec{Target: "127.0.0.1", Timeout: 3 * time.Second, ICMP: fast}
	permissionMsg := probes.ICMPPermissionMessage(os.Getgid())

	It("pings 127.0.0.1, or says exactly which privilege is missing", func() {
		r := run(&probes.ICMP{}, loopback)
		if !canListen("udp4") && !canListen("ip4:icmp") {
			Expect(r.Cause).To(Equal(probes.CauseError))
			Expect(r.Message).To(Equal(permissionMsg))
			return
		}
		Expect(r.Cause).To(Equal(probes.CauseOK), r.Message)
		Expect(r.Reachable).To(BeTrue())
		Expect(r.Passed).To(BeTrue())
		Expect(r.Sent).To(Equal(3))
		Expect(r.Received).To(Equal(3))
		Expect(r.LossPercent).To(BeZero())
		Expect(r.RTT).To(BeNumerically(">", 0))
		Expect(r.Message).To(HavePrefix("ping 127.0.0.1: 3/3 replies, 0% loss, avg rtt "))
	})

	It("paces the requests by the interval", func() {
		if !canListen("udp4") && !canListen("ip4:icmp") {
			Skip("no ICMP socket permitted here")
		}
		start := time.Now()
		r := run(&probes.ICMP{}, loopback)
		Expect(r.Cause).To(Equal(probes.CauseOK))
		Expect(time.Since(start)).To(BeNumerically(">=", 2*fast.Interval))
	})

	It("says exactly what is missing when neither socket is permitted", func() {
		r := run(&probes.ICMP{Listen: denied}, loopback)
		Expect(r.Cause).To(Equal(probes.CauseError))
		Expect(r.Message).To(Equal(permissionMsg))
		Expect(r.Reachable).To(BeFalse())
		Expect(permissionMsg).To(MatchRegexp(`^ICMP needs CAP_NET_RAW or net\.ipv4\.ping_group_range covering gid \d+$`))
	})

	DescribeTable("falls back from one socket kind to the other",
		func(allowed string) {
			if !canListen(allowed) {
				Skip(allowed + " ICMP sockets are not permitted here")
			}
			listen := func(network, address string) (net.PacketConn, error) {
				if network != allowed {
					return denied(network, address)
				}
				return icmp.ListenPacket(network, address)
			}
			r := run(&probes.ICMP{Listen: listen}, loopback)
			Expect(r.Cause).To(Equal(probes.CauseOK), r.Message)
			Expect(r.Received).To(Equal(3))
		},
		Entry("raw only (CAP_NET_RAW)", "ip4:icmp"),
		Entry("datagram only (ping_group_range)", "udp4"),
	)

	Context("with lost replies", func() {
		BeforeEach(func() {
			if !canListen("udp4") && !canListen("ip4:icmp") {
				Skip("no ICMP socket permitted here")
			}
		})
		spec := func(maxLoss float64) probes.Spec {
			s := loopback
			s.Timeout = 500 * time.Millisecond
			s.ICMP = &probes.ICMPOptions{Count: 3, Interval: 20 * time.Millisecond, MaxLossPercent: maxLoss}
			return s
		}
		dropFirst := lossy(func(seq int) bool { return seq == 0 })

		It("is a reachable mismatch when loss exceeds max_loss_percent", func() {
			r := run(&probes.ICMP{Listen: dropFirst}, spec(0))
			Expect(r.Cause).To(Equal(probes.CauseMismatch))
			Expect(r.Reachable).To(BeTrue())
			Expect(r.Passed).To(BeFalse())
			Expect(r.Received).To(Equal(2))
			Expect(r.LossPercent).To(BeNumerically("~", 33.33, 0.01))
			Expect(r.Message).To(Equal("ping 127.0.0.1: 2/3 replies, 33.3% loss, more than 0%"))
		})

		It("is ok when loss is within max_loss_percent", func() {
			r := run(&probes.ICMP{Listen: dropFirst}, spec(50))
			Expect(r.Cause).To(Equal(probes.CauseOK))
			Expect(r.Passed).To(BeTrue())
		})

		It("is an unreachable timeout when every reply is lost", func() {
			r := run(&probes.ICMP{Listen: lossy(func(int) bool { return true })}, spec(0))
			Expect(r.Cause).To(Equal(probes.CauseTimeout))
			Expect(r.Reachable).To(BeFalse())
			Expect(r.LossPercent).To(BeEquivalentTo(100))
			Expect(r.Sent).To(BeNumerically(">=", 1))
			Expect(r.Message).To(MatchRegexp(`^ping 127\.0\.0\.1: no reply, 0/[123] replies, 100% loss$`))
		})
	})

	It("reports another listen failure as it is", func() {
		listen := func(network, _ string) (net.PacketConn, error) {
			return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("socket", syscall.EAFNOSUPPORT)}
		}
		r := run(&probes.ICMP{Listen: listen}, loopback)
		Expect(r.Cause).To(Equal(probes.CauseError))
		Expect(r.Message).To(Equal("opening ICMP socket: listen ip4:icmp: socket: address family not supported by protocol"))
	})
})
