package mesh

import (
	"context"
	"fmt"
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// largeTCP echoes SmallSize bytes, then o.Size bytes, on one connection.
// The small pre-check gets at most half the time left; once it passed,
// the path to this responder works for small packets, so a large echo
// that then fails says how large ones fare:
//   - the responder says it got part of the request: mtu, leg request;
//   - part of the reply arrived, then nothing: mtu, leg reply;
//   - nothing at all came back: mtu, leg unknown.
//
// The result always describes the large echo.
func (p *Prober) largeTCP(ctx context.Context, target string, o probes.PeerOptions) probes.Result {
	s, err := p.dial(ctx, target, o.Peer)
	if err != nil {
		return large(o, failure(err))
	}
	defer s.end()
	small := o
	small.Size = p.opts.SmallSize
	sctx, cancel := context.WithTimeout(ctx, time.Until(deadline(ctx))/2)
	r, sender := s.echo(sctx, small)
	cancel()
	switch {
	case r.Cause != probes.CauseOK:
		return large(o, r)
	case o.Peer != "" && sender != o.Peer:
		return large(o, probes.Result{Reachable: true, Cause: probes.CauseMismatch,
			Message: fmt.Sprintf("%s answered as %q, expected %q", target, sender, o.Peer)})
	}
	r, _ = s.echo(ctx, o)
	if r.Cause == probes.CauseTimeout && r.Leg == "" {
		r.Cause, r.Reachable = probes.CauseMTU, true
		r.Message = fmt.Sprintf("tcp echo of %d B timed out after a %d B echo on the same connection passed: "+
			"MTU black hole on the path", o.Size, small.Size)
		return r
	}
	return large(o, r)
}

// large names the large echo in a failed result's message.
func large(o probes.PeerOptions, r probes.Result) probes.Result {
	if r.Cause != probes.CauseOK {
		r.Message = fmt.Sprintf("tcp echo of %d B: %s", o.Size, r.Message)
	}
	return r
}
