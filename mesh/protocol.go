// Package mesh owns swarmlink's agent-to-agent checks: the authenticated
// wire protocol agents speak, the responder every agent runs on one TCP+UDP
// port, the peer prober (probes.KindPeer) that echoes against other agents,
// peer discovery (DNS tasks, Docker nodes, static hosts), the inbound tracker
// that notices probes which should have arrived and did not, and the
// controller.Source that turns the discovered peers into checks.
//
// The package is a library: the agent wires the responder, the source and
// the tracker together.
package mesh

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"
)

// Version is the only protocol version this package speaks. Version 2 added
// the recipient to the header, refusals, views and MTU probes; version 3
// the unsigned padding after the tag (see padding.go).
const Version = 3

// Type is a message type.
type Type uint8

// Message types. Responses carry the request's Seq.
const (
	TypeEchoRequest      Type = 1  // body and padding: to echo
	TypeEchoResponse     Type = 2  // body and padding: the request's
	TypeIdentityRequest  Type = 3  // body: empty
	TypeIdentityResponse Type = 4  // body: JSON Identity
	TypeBeacon           Type = 5  // one-way; Seq is the sender's sequence number
	TypeReject           Type = 6  // body: code u8 | ref nonce [16] | code's detail (see reject.go)
	TypeViewRequest      Type = 7  // body: empty, or JSON links.Position of the view held
	TypeViewResponse     Type = 8  // body: request nonce [16] | JSON links.View
	TypeMTUProbe         Type = 9  // UDP; padding to the size under test
	TypeMTUAck           Type = 10 // UDP; body: u32 size of the probe datagram received
	TypeSwarmRequest     Type = 11 // TCP; body: empty
	TypeSwarmResponse    Type = 12 // TCP; body: request nonce [16] | JSON swarm.Snapshot
	TypeDiagRequest      Type = 13 // TCP; body: empty
	TypeDiagResponse     Type = 14 // TCP; body: request nonce [16] | JSON links.Packed
)

// String names t for metric labels (a bounded set).
func (t Type) String() string {
	switch t {
	case TypeEchoRequest:
		return "echo_request"
	case TypeEchoResponse:
		return "echo_response"
	case TypeIdentityRequest:
		return "identity_request"
	case TypeIdentityResponse:
		return "identity_response"
	case TypeBeacon:
		return "beacon"
	case TypeReject:
		return "reject"
	case TypeViewRequest:
		return "view_request"
	case TypeViewResponse:
		return "view_response"
	case TypeMTUProbe:
		return "mtu_probe"
	case TypeMTUAck:
		return "mtu_ack"
	case TypeSwarmRequest:
		return "swarm_request"
	case TypeSwarmResponse:
		return "swarm_response"
	case TypeDiagRequest:
		return "diagnosis_request"
	case TypeDiagResponse:
		return "diagnosis_response"
	}
	return "unknown"
}

// Wire layout (all integers big-endian):
//
//	version u8 | type u8 | timestamp i64 (unix ns) | nonce [16] | seq u64 |
//	sender len u8 | sender | recipient len u8 | recipient |
//	path len u8 | path | body len u32 | body | pad len u32 |
//	tag [32] = HMAC-SHA256(key, every byte before the tag) |
//	pad [pad len] = 'a' + i%26
//
// The padding follows the tag unsigned: its length is signed and its bytes
// are a fixed pattern the receiver checks (see padding.go).
//
// The recipient binds a message to the agent it is for: a responder drops
// a request addressed to another agent, a prober an answer addressed to
// another. An empty recipient (an identity query to an address whose agent
// is not known yet) is accepted by any responder.
//
// On TCP a message travels in a frame: a u32 length, then the message. On
// UDP one datagram is one message.
const (
	// NonceSize is the length of a message's random nonce.
	NonceSize   = 16
	tagSize     = sha256.Size
	maxNameLen  = 255
	fixedLen    = 1 + 1 + 8 + NonceSize + 8 + 1 + 1 + 1 + 4 + 4 + tagSize
	frameHeader = 4

	// HeaderBound is the largest a message can be beyond its body.
	HeaderBound = fixedLen + 3*maxNameLen
	// MinMessage is the smallest well-formed message.
	MinMessage = fixedLen
	// PreAuthPayload is the largest body a responder reads on a TCP
	// connection before a frame on it has authenticated: a stranger gets no
	// more memory than that (see Responder).
	PreAuthPayload = 2048
	// DefaultMaxPayload is the default body limit.
	DefaultMaxPayload = 64 << 10
)

// Message is one decoded protocol message.
type Message struct {
	Type      Type
	Timestamp int64 // unix nanoseconds when it was sent
	Nonce     [NonceSize]byte
	Seq       uint64
	Sender    string // the sending agent's name
	Recipient string // the agent it is for; "" = whoever answers
	Path      string // overlay | published, as the sender sees it
	Body      []byte
	Pad       int // bytes of padding after the tag
}

// Size is the message's payload: its body and its padding.
func (m Message) Size() int { return len(m.Body) + m.Pad }

// NewMessage returns a message of type t stamped with now and a random nonce.
func NewMessage(t Type, sender, path string, now time.Time) Message {
	m := Message{Type: t, Timestamp: now.UnixNano(), Sender: sender, Path: path}
	_, _ = rand.Read(m.Nonce[:]) // crypto/rand.Read never fails (Go >= 1.24)
	return m
}

// MaxMessage is the largest encoded message with a payload (body and
// padding) of maxPayload bytes.
func MaxMessage(maxPayload int) int { return maxPayload + HeaderBound }

// Encode serialises m, tag and padding included, signed with key.
func Encode(key []byte, m Message) ([]byte, error) {
	return NewCodec(key).Append(nil, m)
}

// Decode checks b's size, version, tag and padding, then parses it. It does
// not check freshness; see Guard. The returned Body aliases b. Every error
// is a *DropError naming the reason.
func Decode(key, b []byte, maxPayload int) (Message, error) {
	return NewCodec(key).Decode(b, maxPayload)
}

// Codec encodes and decodes messages under one key, reusing its HMAC
// states (hmac.New hashes the key afresh, a reset state does not). It is
// safe for concurrent use; Encode and Decode make one per call.
type Codec struct {
	key   []byte
	macs  sync.Pool // of *macState
	names names
}

// NewCodec returns the codec of key.
func NewCodec(key []byte) *Codec { return &Codec{key: key} }

// macState is a pooled HMAC state and room for the tag it computes.
type macState struct {
	h   hash.Hash
	tag [tagSize]byte
}

func (c *Codec) mac() *macState {
	if st, ok := c.macs.Get().(*macState); ok {
		st.h.Reset()
		return st
	}
	return &macState{h: hmac.New(sha256.New, c.key)}
}

// sum appends to dst the tag of b.
func (c *Codec) sum(dst, b []byte) []byte {
	st := c.mac()
	st.h.Write(b)
	dst = append(dst, st.h.Sum(st.tag[:0])...)
	c.macs.Put(st)
	return dst
}

// verify says whether tag is b's.
func (c *Codec) verify(b, tag []byte) bool {
	st := c.mac()
	st.h.Write(b)
	ok := hmac.Equal(tag, st.h.Sum(st.tag[:0]))
	c.macs.Put(st)
	return ok
}

// Append appends m, tag and padding included, to dst.
func (c *Codec) Append(dst []byte, m Message) ([]byte, error) {
	b, err := c.appendHead(dst, m)
	if err != nil {
		return nil, err
	}
	return appendPad(b, m.Pad), nil
}

// frame encodes m for writeMessage or framed.datagram, into a buffer from
// getBuf.
func (c *Codec) frame(m Message) (framed, error) {
	b, err := c.appendHead(getBuf(frameHeader + HeaderBound + len(m.Body))[:frameHeader], m)
	return framed{b: b, pad: m.Pad}, err
}

// appendHead appends m up to its tag, without the padding, to dst.
func (c *Codec) appendHead(dst []byte, m Message) ([]byte, error) {
	if len(m.Sender) > maxNameLen || len(m.Recipient) > maxNameLen || len(m.Path) > maxNameLen {
		return nil, fmt.Errorf("encoding message: sender, recipient or path longer than %d bytes", maxNameLen)
	}
	if uint64(len(m.Body))+uint64(m.Pad) > 1<<31 || m.Pad < 0 {
		return nil, fmt.Errorf("encoding message: payload of %d+%d bytes is too large", len(m.Body), m.Pad)
	}
	b := slices.Grow(dst, fixedLen+len(m.Sender)+len(m.Recipient)+len(m.Path)+len(m.Body))
	start := len(b)
	b = append(b, Version, byte(m.Type))
	b = binary.BigEndian.AppendUint64(b, uint64(m.Timestamp))
	b = append(b, m.Nonce[:]...)
	b = binary.BigEndian.AppendUint64(b, m.Seq)
	b = append(b, byte(len(m.Sender)))
	b = append(b, m.Sender...)
	b = append(b, byte(len(m.Recipient)))
	b = append(b, m.Recipient...)
	b = append(b, byte(len(m.Path)))
	b = append(b, m.Path...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Body)))
	b = append(b, m.Body...)
	b = binary.BigEndian.AppendUint32(b, uint32(m.Pad))
	return c.sum(b, b[start:]), nil
}

// Decode is the package's Decode under the codec's key.
func (c *Codec) Decode(b []byte, maxPayload int) (Message, error) {
	switch {
	case len(b) > MaxMessage(maxPayload):
		return Message{}, drop(ReasonOversized, "message of %d bytes exceeds %d", len(b), MaxMessage(maxPayload))
	case len(b) < MinMessage:
		return Message{}, drop(ReasonMalformed, "message of %d bytes is shorter than %d", len(b), MinMessage)
	case b[0] != Version:
		return Message{}, drop(ReasonVersion, "version %d, want %d", b[0], Version)
	}
	w, err := parse(b)
	if err != nil {
		return Message{}, err
	}
	if w.m.Size() > maxPayload {
		return Message{}, drop(ReasonOversized, "payload of %d bytes exceeds %d", w.m.Size(), maxPayload)
	}
	if !c.verify(w.signed, b[len(w.signed):len(w.signed)+tagSize]) {
		return Message{}, drop(ReasonBadMAC, "tag does not verify")
	}
	if !isPad(b[len(w.signed)+tagSize:]) {
		return Message{}, drop(ReasonMalformed, "padding of %d bytes is not the pattern", w.m.Pad)
	}
	m := w.m
	m.Sender, m.Recipient, m.Path = c.names.get(w.sender), c.names.get(w.recipient), c.names.get(w.path)
	return m, nil
}

// maxNames bounds the names a Codec keeps.
const maxNames = 4096

// names interns the names of authenticated messages: every message names
// the same few agents and paths, and a fresh string for each name of each
// message was most of a small echo's allocations. Only names of messages
// whose tag verified enter, so the set is the cluster's, and at most
// maxNames.
type names struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *names) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if len(n.m) < maxNames {
		n.m[s] = s
	}
	return s
}

// wire is a message's fields as parse finds them, its names still bytes.
type wire struct {
	m                       Message // without its names
	sender, recipient, path []byte
	signed                  []byte // the bytes the tag covers
}

// parse reads the fields of b up to its tag; the lengths must add up to
// b's. It authenticates nothing and allocates nothing: the caller checks
// the tag before it uses a field.
func parse(b []byte) (wire, error) {
	r := reader{b: b[1:]}
	var w wire
	w.m.Type = Type(r.byte())
	w.m.Timestamp = int64(r.uint64())
	copy(w.m.Nonce[:], r.bytes(NonceSize))
	w.m.Seq = r.uint64()
	w.sender = r.bytes(int(r.byte()))
	w.recipient = r.bytes(int(r.byte()))
	w.path = r.bytes(int(r.byte()))
	w.m.Body = r.bytes(int(r.uint32()))
	w.m.Pad = int(r.uint32())
	if r.bad || uint64(len(r.b)) != tagSize+uint64(w.m.Pad) {
		return wire{}, drop(ReasonMalformed, "field lengths do not add up")
	}
	w.signed = b[:len(b)-len(r.b)]
	return w, nil
}

// reader consumes b; a read past the end sets bad and yields zeros.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}
