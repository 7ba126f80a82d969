package probes

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMP defaults.
const (
	defaultICMPCount    = 3
	defaultICMPInterval = 200 * time.Millisecond
	defaultICMPSize     = 56
)

// ICMP probes a host (Target: name or IP) with ICMP echo requests. It first
// tries an unprivileged datagram socket (allowed when the process's group is
// inside net.ipv4.ping_group_range, which covers IPv6 too), then a raw socket
// (needs CAP_NET_RAW).
//
// Outcomes: no reply at all is not Reachable with cause timeout (or the send
// error's cause, e.g. unreachable); any reply makes the host Reachable, and
// the cause is ok while LossPercent <= ICMPOptions.MaxLossPercent (default 0)
// and mismatch above it: the host answers, the link is degraded. A name that
// does not resolve is cause dns.
//
// ICMP is safe for concurrent use: every probe has its own socket and a
// random payload, so concurrent probes never count each other's replies.
type ICMP struct {
	// Listen opens an ICMP socket like icmp.ListenPacket, which nil means:
	// network is "udp4"/"udp6" (datagram) or "ip4:icmp"/"ip6:ipv6-icmp"
	// (raw), and reads return ICMP messages without the IP header. Tests
	// replace it to simulate missing privileges or lost replies.
	Listen func(network, address string) (net.PacketConn, error)
}

var _ Prober = (*ICMP)(nil)

// icmpFamily holds what differs between ICMPv4 and ICMPv6.
type icmpFamily struct {
	dgram, raw, any string // ListenPacket networks and wildcard address
	proto           int    // IANA protocol number, for icmp.ParseMessage
	request, reply  icmp.Type
}

// familyOf returns the ICMP family to reach ip with.
func familyOf(ip netip.Addr) icmpFamily {
	if ip.Is6() {
		return icmpFamily{"udp6", "ip6:ipv6-icmp", "::", 58, ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply}
	}
	return icmpFamily{"udp4", "ip4:icmp", "0.0.0.0", 1, ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply}
}

// icmpSocket is an open ICMP socket and how to address it.
type icmpSocket struct {
	conn  net.PacketConn
	fam   icmpFamily
	dgram bool // datagram sockets take a *net.UDPAddr, raw ones a *net.IPAddr
}

// Probe runs one ICMP check.
func (p *ICMP) Probe(ctx context.Context, spec Spec) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	opts := cmp.Or(spec.ICMP, &ICMPOptions{})
	op := "ping " + spec.Target
	ip, err := resolveIP(ctx, spec.Target)
	if err != nil {
		return failure(op, ctxErr(ctx, err))
	}
	listen := p.Listen
	if listen == nil {
		listen = listenICMP
	}
	sock, err := openICMP(listen, familyOf(ip))
	if err != nil {
		return Result{Cause: CauseError, Message: err.Error()}
	}
	defer sock.conn.Close()
	stop := BindConn(ctx, sock.conn)
	defer stop()

	st, err := sock.ping(ctx, ip, newPinger(opts))
	return echoResult(op, st, err, opts.MaxLossPercent)
}

// resolveIP returns target as an IP, resolving a name and preferring IPv4
// (what Docker networks mostly carry).
func resolveIP(ctx context.Context, target string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(target); err == nil {
		return ip.Unmap(), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", target)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(ips) == 0 {
		return netip.Addr{}, &net.DNSError{Err: "no such host", Name: target, IsNotFound: true}
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			return ip.Unmap(), nil
		}
	}
	return ips[0], nil
}

// listenICMP is icmp.ListenPacket returning the net.PacketConn interface
// (and a nil one on error, not a typed nil).
func listenICMP(network, address string) (net.PacketConn, error) {
	c, err := icmp.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// openICMP opens an unprivileged datagram socket, else a raw one. When both
// are refused for lack of privilege, the error says what to grant.
func openICMP(listen func(network, address string) (net.PacketConn, error), fam icmpFamily) (*icmpSocket, error) {
	conn, dgramErr := listen(fam.dgram, fam.any)
	if dgramErr == nil {
		return &icmpSocket{conn: conn, fam: fam, dgram: true}, nil
	}
	conn, rawErr := listen(fam.raw, fam.any)
	if rawErr == nil {
		return &icmpSocket{conn: conn, fam: fam}, nil
	}
	if isPermission(dgramErr) && isPermission(rawErr) {
		return nil, errors.New(ICMPPermissionMessage(os.Getgid()))
	}
	return nil, fmt.Errorf("opening ICMP socket: %w", rawErr)
}

// ICMPPermissionMessage says what an ICMP probe needs when it may open
// neither a datagram nor a raw ICMP socket, for a process of group gid.
func ICMPPermissionMessage(gid int) string {
	return fmt.Sprintf("ICMP needs CAP_NET_RAW or net.ipv4.ping_group_range covering gid %d", gid)
}

func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

// pinger is the plan of one ICMP probe: what to send, how often.
type pinger struct {
	count    int
	interval time.Duration
	id       int
	payload  []byte // random bytes: they identify this run's replies
}

// newPinger applies the ICMPOptions defaults and draws the ID and payload.
func newPinger(opts *ICMPOptions) pinger {
	p := pinger{
		count:    min(max(cmp.Or(opts.Count, defaultICMPCount), 1), 1<<16), // sequence numbers are 16 bits
		interval: cmp.Or(opts.Interval, defaultICMPInterval),
		id:       rand.IntN(1 << 16),
		payload:  make([]byte, max(cmp.Or(opts.Size, defaultICMPSize), 0)),
	}
	for i := range p.payload {
		p.payload[i] = byte(rand.Uint32())
	}
	return p
}

// pingRun is the state of one ping: the requests sent and answered.
type pingRun struct {
	sock     *icmpSocket
	ip       netip.Addr
	p        pinger
	sentAt   []time.Time
	answered []bool
	buf      []byte
	st       echoStats
}

// ping sends p.count echo requests p.interval apart, collecting replies in
// between; after the last request it waits for the missing replies until ctx
// ends. It stops at the first send error.
func (s *icmpSocket) ping(ctx context.Context, ip netip.Addr, p pinger) (echoStats, error) {
	run := &pingRun{sock: s, ip: ip, p: p, sentAt: make([]time.Time, p.count),
		answered: make([]bool, p.count), buf: make([]byte, 64<<10)}
	for seq := range p.count {
		if ctx.Err() != nil {
			break
		}
		if err := run.send(seq); err != nil {
			return run.st, ctxErr(ctx, err)
		}
		last := seq == p.count-1
		until := run.sentAt[seq].Add(p.interval)
		if last {
			until, _ = ctx.Deadline()
		}
		if err := run.collect(ctx, until, last); err != nil {
			return run.st, err
		}
	}
	return run.st, nil
}

func (r *pingRun) send(seq int) error {
	msg := icmp.Message{Type: r.sock.fam.request, Body: &icmp.Echo{ID: r.p.id, Seq: seq, Data: r.p.payload}}
	b, err := msg.Marshal(nil) // the kernel fills in the ICMPv6 checksum
	if err != nil {
		return err
	}
	var dst net.Addr = &net.IPAddr{IP: r.ip.AsSlice(), Zone: r.ip.Zone()}
	if r.sock.dgram {
		dst = &net.UDPAddr{IP: r.ip.AsSlice(), Zone: r.ip.Zone()}
	}
	r.sentAt[seq] = time.Now()
	if _, err := r.sock.conn.WriteTo(b, dst); err != nil {
		return err
	}
	r.st.sent++
	return nil
}

// collect reads replies until until passes, which paces the requests, or,
// after the last request, until every request is answered. A read timeout
// ends the window and is not an error.
func (r *pingRun) collect(ctx context.Context, until time.Time, last bool) error {
	_ = r.sock.conn.SetReadDeadline(until)
	for !last || r.st.received < r.st.sent {
		n, _, err := r.sock.conn.ReadFrom(r.buf)
		if err != nil {
			if err = ctxErr(ctx, err); isTimeout(err) {
				return nil
			}
			return err
		}
		seq, ok := r.parseReply(r.buf[:n])
		if ok && seq < r.st.sent && !r.answered[seq] {
			r.answered[seq] = true
			r.st.received++
			r.st.rttSum += time.Since(r.sentAt[seq])
		}
	}
	return nil
}

// parseReply returns the sequence number of an echo reply to this run. The
// payload nonce identifies it; the ID is compared only on raw sockets, since
// datagram sockets rewrite it (and the kernel already filters their replies).
func (r *pingRun) parseReply(b []byte) (int, bool) {
	msg, err := icmp.ParseMessage(r.sock.fam.proto, b)
	if err != nil || msg.Type != r.sock.fam.reply {
		return 0, false
	}
	echo, ok := msg.Body.(*icmp.Echo)
	if !ok || !bytes.Equal(echo.Data, r.p.payload) || (!r.sock.dgram && echo.ID != r.p.id) {
		return 0, false
	}
	return echo.Seq, true
}
