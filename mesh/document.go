package mesh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// MaxView is the largest view body a prober accepts (and a responder
// sends): a bound on what one peer can make another allocate.
const MaxView = 4 << 20

// MaxSwarm is the largest swarm snapshot a prober accepts (and a responder
// sends).
const MaxSwarm = 4 << 20

// MaxDiagnosis is the largest diagnosis a prober accepts (and a responder
// sends): a packed diagnosis of 200 nodes is about 0.3 MB.
const MaxDiagnosis = 16 << 20

// document is a JSON document one agent serves its peers over TCP: its view
// of the links, or (a manager's agent) its snapshot of the swarm. The
// exchange is the same for both: the request's nonce leads the answer, the
// answer is bounded, and a field of the document must name its sender.
type document struct {
	op       string // in errors and metrics: "view", "swarm"
	what     string // in errors: "view", "snapshot"
	fetching string // in errors: "view", "the swarm snapshot"
	answer   Type
	refuse   byte // the reject code of a responder that serves none
	max      int
	owner    string // the JSON field that names the agent the document is of
}

var (
	viewDoc = document{op: "view", what: "view", fetching: "view", answer: TypeViewResponse,
		refuse: rejectNoView, max: MaxView, owner: "node"}
	swarmDoc = document{op: "swarm", what: "snapshot", fetching: "the swarm snapshot", answer: TypeSwarmResponse,
		refuse: rejectNoSwarm, max: MaxSwarm, owner: "manager"}
	diagDoc = document{op: "diagnosis", what: "diagnosis", fetching: "the diagnosis", answer: TypeDiagResponse,
		refuse: rejectNoDiag, max: MaxDiagnosis, owner: "self"}
)

// view answers a view request with the request's nonce and the view, or
// refuses when none is served.
func (r *Responder) view(m Message) (framed, error) {
	var v []byte
	if r.opts.View != nil {
		v = r.opts.View(m.Body)
	}
	return r.serve(m, viewDoc, v, r.opts.View != nil)
}

// swarm answers a swarm request with the request's nonce and the snapshot,
// or refuses when this agent serves none.
func (r *Responder) swarm(m Message) (framed, error) {
	var s []byte
	if r.opts.Swarm != nil {
		s = r.opts.Swarm()
	}
	return r.serve(m, swarmDoc, s, len(s) > 0)
}

// diagnosis answers a diagnosis request with the request's nonce and the
// packed diagnosis, or refuses when this agent serves none now.
func (r *Responder) diagnosis(m Message) (framed, error) {
	var d []byte
	if r.opts.Diagnosis != nil {
		d = r.opts.Diagnosis()
	}
	return r.serve(m, diagDoc, d, len(d) > 0)
}

// serve answers m with body, the document d, or refuses when there is none
// (!ok) or it is too large to send.
func (r *Responder) serve(m Message, d document, body []byte, ok bool) (framed, error) {
	if ok && len(body) > d.max-NonceSize {
		r.log.Warn(d.op+" too large to serve", zap.Int("bytes", len(body)), zap.Int("max", d.max-NonceSize))
		ok = false
	}
	if !ok {
		return r.reject(m.Sender, m.Nonce, m.Path, d.refuse, nil), nil
	}
	out := make([]byte, 0, NonceSize+len(body))
	out = append(append(out, m.Nonce[:]...), body...)
	return r.answer(m, d.answer, out, 0, "tcp")
}

// FetchView asks the responder at addr for its agent's view (the JSON of
// its links.View) over the peer protocol. The answer must verify with the
// shared key, be addressed to this prober, carry the nonce of this very
// request (so an old answer cannot be replayed), come from the agent the
// view is of, and stay within MaxView bytes. ctx bounds the exchange;
// without a deadline the prober's Timeout applies. Errors classify with
// Classify (a server holding another key is probes.CauseAuth).
//
// req is the request's body, handed to the responder's View: the agent's
// position in the view it already holds (JSON links.Position), so that
// only what changed comes back; nil asks for the whole view.
func (p *Prober) FetchView(ctx context.Context, addr string, req []byte) ([]byte, error) {
	return p.fetch(ctx, addr, "", TypeViewRequest, viewDoc, req)
}

// FetchSwarm asks the agent peer, at addr, for its swarm snapshot (the JSON
// of a swarm.Snapshot) over the peer protocol, with the guarantees of
// FetchView: verified with the shared key, addressed to this prober, the
// nonce of this request, from peer itself, whose name the snapshot's
// manager field must carry, within MaxSwarm bytes. A responder that serves
// none refuses with ErrNoSwarm.
func (p *Prober) FetchSwarm(ctx context.Context, addr, peer string) ([]byte, error) {
	return p.fetch(ctx, addr, peer, TypeSwarmRequest, swarmDoc, nil)
}

// FetchDiagnosis asks the agent peer, at addr, for its diagnosis of the
// cluster (the JSON of a links.Packed), with the guarantees of FetchView:
// verified with the shared key, addressed to this prober, the nonce of this
// request, from peer itself, whose name the diagnosis' self field must
// carry, within MaxDiagnosis bytes. A responder that diagnoses only its
// own side now (not an evaluator) refuses with ErrNoDiagnosis.
func (p *Prober) FetchDiagnosis(ctx context.Context, addr, peer string) ([]byte, error) {
	return p.fetch(ctx, addr, peer, TypeDiagRequest, diagDoc, nil)
}

// fetch asks the responder at addr (peer, when not empty) for the document
// d with a request of type t and body body.
func (p *Prober) fetch(ctx context.Context, addr, peer string, t Type, d document, body []byte) ([]byte, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	who := addr
	if peer != "" {
		who = peer
	}
	s, err := p.dial(ctx, addr, peer)
	if err != nil {
		return nil, fmt.Errorf("fetching %s of %s: %w", d.fetching, who, err)
	}
	defer s.end()
	req := s.request(t, "", body)
	resp, _, err := s.exchange(ctx, req, d.max)
	if err == nil {
		err = d.check(req, resp, peer)
	}
	if err != nil {
		if pe, ok := errors.AsType[*partialError](err); ok {
			pe.document = true
		}
		return nil, fmt.Errorf("fetching %s of %s: %w", d.fetching, who, err)
	}
	return s.keep(resp.Body[NonceSize:]), nil
}

// check says whether resp is the answer to req, from peer when it is not
// empty.
func (d document) check(req, resp Message, peer string) error {
	switch {
	case resp.Type != d.answer:
		return &opError{d.op, errMismatch("got a " + resp.Type.String())}
	case len(resp.Body) > d.max:
		return drop(ReasonOversized, "%s answer of %d bytes exceeds %d", d.op, len(resp.Body), d.max)
	case resp.Seq != req.Seq || len(resp.Body) < NonceSize || !bytes.Equal(resp.Body[:NonceSize], req.Nonce[:]):
		return &opError{d.op, errMismatch("an answer to another request")}
	case peer != "" && resp.Sender != peer:
		return &opError{d.op, errMismatch(fmt.Sprintf("answered by %q, asked %q", resp.Sender, peer))}
	}
	return d.checkOwner(resp.Sender, resp.Body[NonceSize:])
}

// checkOwner says whether the document body names its authenticated
// sender in its owner field.
func (d document) checkOwner(sender string, body []byte) error {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(body, &v); err != nil {
		return &opError{d.op, errMismatch(d.what + " is not JSON: " + err.Error())}
	}
	var owner string
	if raw, ok := v[d.owner]; ok {
		if err := json.Unmarshal(raw, &owner); err != nil {
			return &opError{d.op, errMismatch(fmt.Sprintf("%s's %s is not a string", d.what, d.owner))}
		}
	}
	if owner != sender {
		return &opError{d.op, errMismatch(fmt.Sprintf("%s of %q sent by %q", d.what, owner, sender))}
	}
	return nil
}
