package mesh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.uber.org/zap"
)

// MaxView is the largest view body a prober accepts (and a responder
// sends): a bound on what one peer can make another allocate.
const MaxView = 4 << 20

// view answers a view request with the request's nonce and the view, or
// refuses when none is served.
func (r *Responder) view(m Message) ([]byte, error) {
	if r.opts.View == nil {
		return r.reject(m.Sender, m.Nonce, m.Path, rejectNoView, nil), nil
	}
	v := r.opts.View()
	if len(v) > MaxView-NonceSize {
		r.log.Warn("view too large to serve", zap.Int("bytes", len(v)), zap.Int("max", MaxView-NonceSize))
		return r.reject(m.Sender, m.Nonce, m.Path, rejectNoView, nil), nil
	}
	body := make([]byte, 0, NonceSize+len(v))
	body = append(append(body, m.Nonce[:]...), v...)
	return r.answer(m, TypeViewResponse, body, "tcp")
}

// FetchView asks the responder at addr for its agent's view (the JSON of
// its links.View) over the peer protocol. The answer must verify with the
// shared key, be addressed to this prober, carry the nonce of this very
// request (so an old answer cannot be replayed), come from the agent the
// view is of, and stay within MaxView bytes. ctx bounds the exchange;
// without a deadline the prober's Timeout applies. Errors classify with
// Classify (a server holding another key is probes.CauseAuth).
func (p *Prober) FetchView(ctx context.Context, addr string) ([]byte, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	s, err := p.dial(ctx, addr, "")
	if err != nil {
		return nil, fmt.Errorf("fetching view of %s: %w", addr, err)
	}
	defer s.close()
	req := s.request(TypeViewRequest, "", nil)
	resp, _, err := s.exchange(ctx, req, MaxView)
	if err == nil {
		err = checkView(req, resp)
	}
	if err != nil {
		return nil, fmt.Errorf("fetching view of %s: %w", addr, err)
	}
	return resp.Body[NonceSize:], nil
}

// checkView says whether resp is the answer to the view request req.
func checkView(req, resp Message) error {
	switch {
	case resp.Type != TypeViewResponse:
		return &opError{"view", errMismatch("got a " + resp.Type.String())}
	case len(resp.Body) > MaxView:
		return drop(ReasonOversized, "view answer of %d bytes exceeds %d", len(resp.Body), MaxView)
	case resp.Seq != req.Seq || len(resp.Body) < NonceSize || !bytes.Equal(resp.Body[:NonceSize], req.Nonce[:]):
		return &opError{"view", errMismatch("an answer to another request")}
	}
	return checkViewNode(resp.Sender, resp.Body[NonceSize:])
}

// checkViewNode says whether a view's node is its authenticated sender.
func checkViewNode(sender string, view []byte) error {
	var v struct {
		Node string `json:"node"`
	}
	if err := json.Unmarshal(view, &v); err != nil {
		return &opError{"view", errMismatch("view is not JSON: " + err.Error())}
	}
	if v.Node != sender {
		return &opError{"view", errMismatch(fmt.Sprintf("view of %q sent by %q", v.Node, sender))}
	}
	return nil
}
