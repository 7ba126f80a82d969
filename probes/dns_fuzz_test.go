package probes_test

import (
	"context"
	"encoding/binary"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/swarmlink/swarmlink/probes"
)

// fuzzResolver is a loopback DNS server answering every query with the
// question echoed (so that the resolver accepts the answer as its own) and
// whatever answer section the fuzzer set.
type fuzzResolver struct {
	conn    net.PacketConn
	mu      sync.Mutex
	flags   uint16 // header bits after QR: opcode, AA, TC, RD, RA, rcode
	count   uint16 // ANCOUNT
	answers []byte // raw answer section
}

func newFuzzResolver(f *testing.F) *fuzzResolver {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	r := &fuzzResolver{conn: conn}
	f.Cleanup(func() { conn.Close() })
	go r.serve()
	return r
}

func (r *fuzzResolver) set(flags, count uint16, answers []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flags, r.count, r.answers = flags, count, answers
}

func (r *fuzzResolver) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := r.answer(buf[:n]); resp != nil {
			_, _ = r.conn.WriteTo(resp, from)
		}
	}
}

func (r *fuzzResolver) answer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired})
	if b.StartQuestions() != nil || b.Question(q) != nil {
		return nil
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	binary.BigEndian.PutUint16(msg[2:], 0x8000|(r.flags&0x7fff))
	binary.BigEndian.PutUint16(msg[6:], r.count)
	return append(msg, r.answers...)
}

// FuzzDNSAnswers runs the DNS probe for every record type against a
// resolver answering arbitrary answer sections (a hostile or broken DNS
// server): it must never panic, name a known cause, report sorted answers
// and be Reachable only with an answer, and pass only when every expected
// answer is among them.
//
//	go test ./probes -run '^$' -fuzz FuzzDNSAnswers -fuzztime 5m
func FuzzDNSAnswers(f *testing.F) {
	aRecord := []byte{0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7}
	aaaa := append([]byte{0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16}, net.ParseIP("fd00::7")...)
	cname := []byte{0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'e', 'b', 0xc0, 0x0c}
	srv := []byte{0xc0, 0x0c, 0, 33, 0, 1, 0, 0, 0, 60, 0, 12, 0, 1, 0, 1, 0x1f, 0x90, 3, 'w', 'e', 'b', 0xc0, 0x0c}
	txt := []byte{0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, 'h', 'i', 2, 'y', 'o'}
	f.Add(uint16(0x0180), uint16(1), aRecord, "10.0.0.7", 1)
	f.Add(uint16(0x0180), uint16(2), append(slices.Clone(aRecord), aaaa...), "fd00::7", 2)
	f.Add(uint16(0x0180), uint16(1), cname, "web.fuzz.example", 0)
	f.Add(uint16(0x0180), uint16(1), srv, "web.fuzz.example:8080", 0)
	f.Add(uint16(0x0180), uint16(1), txt, "hiyo", 0)
	f.Add(uint16(0x0183), uint16(0), []byte{}, "", 0)                 // NXDOMAIN
	f.Add(uint16(0x0380), uint16(9), aRecord, "", 0)                  // truncated, count beyond the data
	f.Add(uint16(0x0180), uint16(1), []byte{0xc0, 0x0c, 0, 5}, "", 0) // a record cut short
	res := newFuzzResolver(f)
	records := []string{probes.RecordA, probes.RecordAAAA, probes.RecordAnyIP, probes.RecordCNAME,
		probes.RecordTXT, probes.RecordSRV}
	f.Fuzz(func(t *testing.T, flags, count uint16, answers []byte, want string, minAnswers int) {
		res.set(flags, count, answers)
		for _, rec := range records {
			opts := &probes.DNSOptions{Resolver: res.conn.LocalAddr().String(), Record: rec, MinAnswers: minAnswers % 8}
			if want != "" {
				opts.Answers = []string{want}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			r := (&probes.DNS{}).Probe(ctx, probes.Spec{Kind: probes.KindDNS, Target: "fuzz.example.", DNS: opts})
			cancel()
			checkDNSResult(t, rec, want, r)
		}
	})
}

func checkDNSResult(t *testing.T, rec, want string, r probes.Result) {
	t.Helper()
	if !slices.Contains([]probes.Cause{probes.CauseOK, probes.CauseDNS, probes.CauseMismatch, probes.CauseTimeout,
		probes.CauseRefused, probes.CauseError, probes.CauseUnreachable, probes.CauseReset}, r.Cause) {
		t.Fatalf("%s: unexpected cause %q (%s)", rec, r.Cause, r.Message)
	}
	if r.Reachable != (len(r.Answers) > 0) {
		t.Fatalf("%s: reachable %v with answers %q", rec, r.Reachable, r.Answers)
	}
	if !slices.IsSorted(r.Answers) {
		t.Fatalf("%s: answers not sorted: %q", rec, r.Answers)
	}
	if r.Cause == probes.CauseOK && want != "" && len(r.Answers) == 0 {
		t.Fatalf("%s: passed without the expected answer %q", rec, want)
	}
}
