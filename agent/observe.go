package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/mesh"
	"github.com/swarmlink/swarmlink/probes"
)

// trackerSink feeds every result, outbound and inbound alike, into the
// agent's link tracker: the one state the views, the diagnosis and the
// alert engine read.
type trackerSink struct{ t *links.Tracker }

var (
	_ controller.Sink      = trackerSink{}
	_ controller.Forgetter = trackerSink{}
)

func (s trackerSink) Record(_ context.Context, c controller.Check, r probes.Result) {
	s.t.Observe(controller.Sample(c, r))
}

func (s trackerSink) Forget(c controller.Check) {
	s.t.Forget(c.LinkKey(), time.Now())
}

// inboundCheck is the check a destination holds for one peer's beacons on
// one path: the source is the peer, the destination this agent.
func inboundCheck(self, peer, path string) controller.Check {
	name := path + "-" + string(links.RoleArrival)
	return controller.Check{Key: "mesh-inbound/" + peer + "/" + path, Origin: mesh.SourceName,
		Link: controller.Link{Source: peer, Destination: self, Path: path, Role: links.RoleArrival, Direction: links.Inbound},
		Spec: probes.Spec{Name: name, Kind: probes.KindPeer}}
}

// inboundResult is one sweep's verdict on a peer's arrivals: passed when
// anything arrived since the last sweep; the numbered beacons give this
// direction's own loss.
func inboundResult(s mesh.InboundStatus, now time.Time) probes.Result {
	r := probes.Result{Passed: s.Arrived > 0, Reachable: s.Arrived > 0, Cause: probes.CauseOK, Started: now,
		Message: fmt.Sprintf("%d probes arrived from %s over %s", s.Arrived, s.Peer, s.Path)}
	if s.BeaconsExpected > 0 {
		r.Sent, r.Received = s.BeaconsExpected, min(s.Beacons, s.BeaconsExpected)
		r.LossPercent = 100 * float64(r.Sent-r.Received) / float64(r.Sent)
		r.Message += fmt.Sprintf(", %d of %d beacons (%.0f%% lost)", r.Received, r.Sent, r.LossPercent)
	}
	if !r.Passed {
		r.Cause = probes.CauseTimeout
		r.Message = fmt.Sprintf("no probes from %s arrived over %s", s.Peer, s.Path)
		if !s.LastSeen.IsZero() {
			r.Message += " since " + s.LastSeen.UTC().Format(time.RFC3339)
		}
	}
	return r
}

// largeFailing says whether this agent's large echo to peer on path fails
// (or failed its last result): its MTU is then measured again soon.
func (a *Agent) largeFailing(peer, path string) bool {
	for _, s := range a.tracker.States() {
		if s.Peer == peer && s.Path == path && s.Role == links.RoleLarge && s.Direction == links.Outbound {
			return s.Status == links.Failing || s.Status == links.Pending
		}
	}
	return false
}
