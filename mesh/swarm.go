package mesh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.uber.org/zap"
)

// MaxSwarm is the largest swarm snapshot a prober accepts (and a responder
// sends).
const MaxSwarm = 4 << 20

// swarm answers a swarm request with the request's nonce and the snapshot,
// or refuses when this agent serves none.
func (r *Responder) swarm(m Message) ([]byte, error) {
	var s []byte
	if r.opts.Swarm != nil {
		s = r.opts.Swarm()
	}
	if len(s) == 0 {
		return r.reject(m.Sender, m.Nonce, m.Path, rejectNoSwarm, nil), nil
	}
	if len(s) > MaxSwarm-NonceSize {
		r.log.Warn("swarm snapshot too large to serve", zap.Int("bytes", len(s)), zap.Int("max", MaxSwarm-NonceSize))
		return r.reject(m.Sender, m.Nonce, m.Path, rejectNoSwarm, nil), nil
	}
	body := make([]byte, 0, NonceSize+len(s))
	body = append(append(body, m.Nonce[:]...), s...)
	return r.answer(m, TypeSwarmResponse, body, "tcp")
}

// FetchSwarm asks the agent peer, at addr, for its swarm snapshot (the JSON
// of a swarm.Snapshot) over the peer protocol, with the guarantees of
// FetchView: verified with the shared key, addressed to this prober, the
// nonce of this request, from peer itself, whose name the snapshot's
// manager field must carry, within MaxSwarm bytes. A responder that serves
// none refuses with ErrNoSwarm.
func (p *Prober) FetchSwarm(ctx context.Context, addr, peer string) ([]byte, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	s, err := p.dial(ctx, addr, peer)
	if err != nil {
		return nil, fmt.Errorf("fetching the swarm snapshot of %s: %w", peer, err)
	}
	defer s.close()
	req := s.request(TypeSwarmRequest, "", nil)
	resp, _, err := s.exchange(ctx, req, MaxSwarm)
	if err == nil {
		err = checkSwarm(req, resp, peer)
	}
	if err != nil {
		return nil, fmt.Errorf("fetching the swarm snapshot of %s: %w", peer, err)
	}
	return resp.Body[NonceSize:], nil
}

// checkSwarm says whether resp is peer's answer to the swarm request req.
func checkSwarm(req, resp Message, peer string) error {
	switch {
	case resp.Type != TypeSwarmResponse:
		return &opError{"swarm", errMismatch("got a " + resp.Type.String())}
	case len(resp.Body) > MaxSwarm:
		return drop(ReasonOversized, "swarm answer of %d bytes exceeds %d", len(resp.Body), MaxSwarm)
	case resp.Seq != req.Seq || len(resp.Body) < NonceSize || !bytes.Equal(resp.Body[:NonceSize], req.Nonce[:]):
		return &opError{"swarm", errMismatch("an answer to another request")}
	case resp.Sender != peer:
		return &opError{"swarm", errMismatch(fmt.Sprintf("answered by %q, asked %q", resp.Sender, peer))}
	}
	var v struct {
		Manager string `json:"manager"`
	}
	if err := json.Unmarshal(resp.Body[NonceSize:], &v); err != nil {
		return &opError{"swarm", errMismatch("snapshot is not JSON: " + err.Error())}
	}
	if v.Manager != resp.Sender {
		return &opError{"swarm", errMismatch(fmt.Sprintf("snapshot of %q sent by %q", v.Manager, resp.Sender))}
	}
	return nil
}
