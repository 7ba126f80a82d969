package mesh

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Identity is what an agent says about itself in an identity response.
type Identity struct {
	Name          string   `json:"name"` // agent name; the sender name of its messages
	NodeID        string   `json:"node_id,omitempty"`
	Hostname      string   `json:"hostname,omitempty"`
	UnderlayAddrs []string `json:"underlay_addrs,omitempty"` // host addresses (published path)
	OverlayAddrs  []string `json:"overlay_addrs,omitempty"`  // task addresses on the overlay
	EncryptedAddr string   `json:"encrypted_addr,omitempty"` // task address on the encrypted agent network, if any
	Role          string   `json:"role,omitempty"`           // manager | worker | "" (plain Docker)
	AgentVersion  string   `json:"agent_version,omitempty"`
}

// Inbound kinds.
const (
	InboundTCP    = "tcp"    // an authenticated TCP echo request
	InboundUDP    = "udp"    // an authenticated UDP echo request
	InboundBeacon = "beacon" // a one-way beacon
)

// Inbound is one authenticated probe that arrived at this agent.
type Inbound struct {
	From string    // sender's agent name (authenticated by the tag)
	Path string    // the path the sender says it used
	Kind string    // InboundTCP, InboundUDP or InboundBeacon
	At   time.Time // arrival time
	Seq  uint64    // sender's sequence number
	Size int       // body bytes
	Addr string    // remote address as seen here
}

// InboundSink receives every inbound probe. OnInbound is called on the
// responder's serving goroutines: it must be safe for concurrent use and
// return quickly.
type InboundSink interface {
	OnInbound(Inbound)
}

// InboundFunc adapts a function to InboundSink.
type InboundFunc func(Inbound)

// OnInbound calls f.
func (f InboundFunc) OnInbound(in Inbound) { f(in) }

// maxIdentity bounds an identity answer's body.
const maxIdentity = 64 << 10

// QueryIdentity asks the responder at addr (host:port) for its identity over
// TCP, authenticated with key. ctx bounds the whole exchange; without a
// deadline a default of 5 s applies.
func QueryIdentity(ctx context.Context, addr string, key []byte) (Identity, error) {
	return newClient(ClientOptions{Key: key}).QueryIdentity(ctx, addr)
}

// QueryIdentity asks the responder at addr for its identity, as the package
// function does, signing the request with this prober's key and name.
func (p *Prober) QueryIdentity(ctx context.Context, addr string) (Identity, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	req := NewMessage(TypeIdentityRequest, p.opts.Self, "", time.Now())
	req.Seq = randomSeq()
	resp, err := p.roundTrip(ctx, addr, req, maxIdentity)
	if err != nil {
		return Identity{}, fmt.Errorf("querying identity of %s: %w", addr, err)
	}
	id, err := parseIdentity(req, resp)
	if err != nil {
		return Identity{}, fmt.Errorf("querying identity of %s: %w", addr, err)
	}
	return id, nil
}

// parseIdentity reads the identity in resp, the answer to req; a nameless
// identity takes its authenticated sender's name.
func parseIdentity(req, resp Message) (Identity, error) {
	if resp.Type != TypeIdentityResponse || resp.Seq != req.Seq {
		return Identity{}, &opError{"identity", errMismatch("unexpected " + resp.Type.String() + " answer")}
	}
	var id Identity
	if err := json.Unmarshal(resp.Body, &id); err != nil {
		return Identity{}, &opError{"identity", errMismatch("decoding: " + err.Error())}
	}
	if id.Name == "" {
		id.Name = resp.Sender
	}
	return id, nil
}
