// Package probes owns the individual network checks swarmlink runs: one file
// per kind (tcp, http, dns, udp, icmp), all behind the Prober interface.
//
// A probe only measures. It knows nothing of scheduling, retries, history or
// alerting; those live in the controller. Timeouts travel in the context.
package probes

import (
	"context"
	"fmt"
	"time"
)

// Cause is the one-word reason of a result, from a small fixed vocabulary so
// it can be used as a bounded metric label and compared across kinds.
type Cause string

// The cause vocabulary. Every result carries exactly one.
const (
	CauseOK          Cause = "ok"          // the target answered as expected
	CauseDNS         Cause = "dns"         // a name did not resolve
	CauseRefused     Cause = "refused"     // the host answered, nothing listened
	CauseTimeout     Cause = "timeout"     // no answer within the timeout
	CauseReset       Cause = "reset"       // the connection was reset
	CauseUnreachable Cause = "unreachable" // no route / host or network unreachable
	CauseMismatch    Cause = "mismatch"    // an answer came, but not the expected one
	CauseTLS         Cause = "tls"         // TLS handshake or verification failed
	CauseMTU         Cause = "mtu"         // small payloads pass, large ones vanish
	CauseAuth        Cause = "auth"        // a peer refused our key (or we refused its)
	CauseClockSkew   Cause = "clock-skew"  // a peer's clock is outside the replay window
	CauseBusy        Cause = "busy"        // a peer's responder had no free slot for us
	CauseError       Cause = "error"       // anything else (local errors, bad input)
)

// Causes lists every cause, in a stable order, for metric initialisation.
var Causes = []Cause{CauseOK, CauseDNS, CauseRefused, CauseTimeout, CauseReset,
	CauseUnreachable, CauseMismatch, CauseTLS, CauseMTU, CauseAuth, CauseClockSkew, CauseBusy, CauseError}

// Legs of a round trip: which half of an echo was lost. A failed echo that
// knows sets Result.Leg; "" means it cannot tell.
const (
	LegRequest = "request" // the request did not arrive (whole) at the responder
	LegReply   = "reply"   // the responder answered; the reply did not arrive (whole)
)

// Expectation says what a probe should observe.
type Expectation string

// Expectations. Unreachable is an isolation check: it passes when the target
// can NOT be reached.
const (
	ExpectReachable   Expectation = "reachable"
	ExpectUnreachable Expectation = "unreachable"
)

// Kind names a probe kind.
type Kind string

// Probe kinds.
const (
	KindTCP  Kind = "tcp"
	KindHTTP Kind = "http"
	KindDNS  Kind = "dns"
	KindUDP  Kind = "udp"
	KindICMP Kind = "icmp"
)

// Spec is everything a probe needs to run once. Exactly the options block of
// its Kind is used; the others are nil.
type Spec struct {
	Name    string        `json:"name"`
	Kind    Kind          `json:"kind"`
	Target  string        `json:"target"` // host:port, URL, DNS name or host, per kind
	Timeout time.Duration `json:"timeout"`
	Expect  Expectation   `json:"expect"`

	TCP  *TCPOptions  `json:"tcp,omitempty"`
	HTTP *HTTPOptions `json:"http,omitempty"`
	DNS  *DNSOptions  `json:"dns,omitempty"`
	UDP  *UDPOptions  `json:"udp,omitempty"`
	ICMP *ICMPOptions `json:"icmp,omitempty"`
	Peer *PeerOptions `json:"peer,omitempty"`
}

// TCPOptions are optional send/expect for a TCP probe.
type TCPOptions struct {
	Send   string `yaml:"send" json:"send,omitempty"`     // written after connect
	Expect string `yaml:"expect" json:"expect,omitempty"` // substring the first read must contain
}

// HTTPOptions are expectations for an HTTP(S) probe. Keep-alive is always off.
type HTTPOptions struct {
	Method        string            `yaml:"method" json:"method,omitempty"`               // default GET
	Status        []int             `yaml:"status" json:"status,omitempty"`               // accepted codes; default 2xx
	BodyContains  string            `yaml:"body_contains" json:"body_contains,omitempty"` // substring
	BodyRegexp    string            `yaml:"body_regexp" json:"body_regexp,omitempty"`     // RE2
	Headers       map[string]string `yaml:"headers" json:"headers,omitempty"`             // request headers
	TLSSkipVerify bool              `yaml:"tls_skip_verify" json:"tls_skip_verify,omitempty"`
}

// DNSOptions configure a DNS probe; Target is the name to resolve.
type DNSOptions struct {
	Resolver   string   `yaml:"resolver" json:"resolver,omitempty"`       // host:port; empty = system resolver
	Transport  string   `yaml:"transport" json:"transport,omitempty"`     // udp (default) | tcp
	Record     string   `yaml:"record" json:"record,omitempty"`           // ANY-IP (default: A+AAAA) | A | AAAA | CNAME | TXT | SRV
	Answers    []string `yaml:"answers" json:"answers,omitempty"`         // each must be among the answers
	MinAnswers int      `yaml:"min_answers" json:"min_answers,omitempty"` // default 1
}

// UDPOptions configure a UDP send/expect probe (an echo by default).
type UDPOptions struct {
	Payload string `yaml:"payload" json:"payload,omitempty"` // default "swarmlink-udp-probe"
	Expect  string `yaml:"expect" json:"expect,omitempty"`   // default: the payload echoed back
	Count   int    `yaml:"count" json:"count,omitempty"`     // datagrams; default 1
}

// ICMPOptions configure an ICMP echo probe.
type ICMPOptions struct {
	Count          int           `yaml:"count" json:"count,omitempty"`                       // packets; default 3
	Interval       time.Duration `yaml:"interval" json:"interval,omitempty"`                 // between packets; default 200ms
	Size           int           `yaml:"size" json:"size,omitempty"`                         // payload bytes; default 56
	MaxLossPercent float64       `yaml:"max_loss_percent" json:"max_loss_percent,omitempty"` // ok when loss <= this (default 0); above it, with some replies, mismatch but still reachable
}

// Result is the outcome of one probe run.
type Result struct {
	Passed    bool          `json:"passed"`    // matched the expectation
	Reachable bool          `json:"reachable"` // the target answered as a reachable target would
	Cause     Cause         `json:"cause"`
	Message   string        `json:"message"`
	Duration  time.Duration `json:"duration"`
	Started   time.Time     `json:"started"`

	Answers     []string      `json:"answers,omitempty"`      // dns: every answer
	Sent        int           `json:"sent,omitempty"`         // udp/icmp: packets sent
	Received    int           `json:"received,omitempty"`     // udp/icmp: packets answered
	LossPercent float64       `json:"loss_percent,omitempty"` // udp/icmp
	RTT         time.Duration `json:"rtt,omitempty"`          // udp/icmp: average round trip
	Status      int           `json:"status,omitempty"`       // http status code
	Leg         string        `json:"leg,omitempty"`          // peer echoes: the lost half (LegRequest | LegReply)
	Tasks       int           `json:"tasks,omitempty"`        // swarm-ingress: the service's task IPs probed beside the target
	TasksUp     int           `json:"tasks_up,omitempty"`     // swarm-ingress: how many of them answered
}

// Prober runs one kind of probe once. Implementations are safe for
// concurrent use and honour ctx (which carries the probe's timeout).
type Prober interface {
	Probe(ctx context.Context, spec Spec) Result
}

// ProberFunc adapts a function to Prober.
type ProberFunc func(ctx context.Context, spec Spec) Result

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context, spec Spec) Result { return f(ctx, spec) }

// Evaluate fills Passed from Reachable and the expectation. An isolation
// check (ExpectUnreachable) passes when the target was not reachable; its
// Cause still says how it failed to connect.
func Evaluate(spec Spec, r Result) Result {
	if spec.Expect == ExpectUnreachable {
		r.Passed = !r.Reachable
		if r.Reachable {
			r.Message = "expected unreachable, but: " + r.Message
		}
		return r
	}
	r.Passed = r.Reachable && r.Cause == CauseOK
	return r
}

// Run runs spec with p under spec.Timeout and returns the evaluated result,
// with Started and Duration filled in. A panic in p is not recovered here:
// the caller (a controller job) owns panic recovery and counting.
func Run(ctx context.Context, p Prober, spec Spec) Result {
	if spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, spec.Timeout)
		defer cancel()
	}
	start := time.Now()
	r := p.Probe(ctx, spec)
	r.Started = start
	if r.Duration == 0 {
		r.Duration = time.Since(start)
	}
	if r.Cause == "" {
		r.Cause = CauseError
	}
	return Evaluate(spec, r)
}

// Registry maps kinds to probers.
type Registry map[Kind]Prober

// Get returns the prober for kind or an error naming it.
func (r Registry) Get(kind Kind) (Prober, error) {
	p, ok := r[kind]
	if !ok {
		return nil, fmt.Errorf("no prober for kind %q", kind)
	}
	return p, nil
}

// KindPeer is a mesh echo probe against another swarmlink agent's peer
// responder; its prober is registered by the mesh package.
const KindPeer Kind = "peer"

// PeerOptions configure a KindPeer probe. Target is host:port of the peer's
// responder.
type PeerOptions struct {
	Transport string `yaml:"transport" json:"transport,omitempty"` // tcp | udp
	Size      int    `yaml:"size" json:"size,omitempty"`           // payload bytes per echo
	Count     int    `yaml:"count" json:"count,omitempty"`         // udp: datagrams per run
	Path      string `yaml:"path" json:"path,omitempty"`           // overlay | published; told to the receiver
	Peer      string `yaml:"peer" json:"peer,omitempty"`           // expected peer name (identity check)
	OneWay    bool   `yaml:"one_way" json:"one_way,omitempty"`     // send one-way datagrams the receiver records as inbound
}
