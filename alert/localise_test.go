package alert_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/alert"
)

// ls builds a link state from "agent peer path probe direction status [cause]",
// e.g. "a b overlay overlay-tcp out failing timeout".
func ls(spec string) alert.LinkState {
	f := strings.Fields(spec)
	dir := map[string]string{"out": alert.DirectionOutbound, "in": alert.DirectionInbound}[f[4]]
	s := alert.LinkState{Agent: f[0], Peer: f[1], Path: f[2], Probe: f[3], Direction: dir, Status: alert.Status(f[5]),
		Cause: "ok"}
	if len(f) > 6 {
		s.Cause, s.Message = f[6], "probe said "+f[6]
	}
	return s
}

func states(specs ...string) []alert.LinkState {
	out := []alert.LinkState{}
	for _, s := range specs {
		out = append(out, ls(s))
	}
	return out
}

// summarise renders alerts as "name source->destination path cause".
func summarise(alerts []alert.Alert) []string {
	out := []string{}
	for _, a := range alerts {
		out = append(out, a.Name+" "+a.Source+"->"+a.Destination+" "+a.Path+" "+a.Cause)
	}
	return out
}

// prefixed returns specs with their prefix old replaced by new.
func prefixed(specs []string, old, new string) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = new + strings.TrimPrefix(s, old)
	}
	return out
}

// hostBDown is everything agent a sees of peer b when b is cut off.
var hostBDown = []string{
	"a b overlay overlay-tcp out failing timeout",
	"a b overlay overlay-udp out failing timeout",
	"a b overlay overlay-large out failing timeout",
	"a b published published-tcp out failing refused",
	"a b overlay overlay-oneway in failing missing",
}

var _ = Describe("Localise", func() {
	DescribeTable("localises the fault",
		func(local, cluster []alert.LinkState, want []string) {
			Expect(summarise(alert.Localise(alert.Input{Self: "a", Local: local, Cluster: cluster}))).To(Equal(want))
		},
		Entry("nothing failing: no alert", states("a b overlay overlay-tcp out healthy"), nil, []string{}),
		Entry("pending is not failing", states("a b overlay overlay-tcp out pending timeout"), nil, []string{}),
		Entry("host cut off, both directions seen here: one host alert, not five link alerts",
			states(hostBDown...), nil, []string{"SwarmlinkHostUnreachable cluster->b all host-unreachable"}),
		Entry("host cut off with a cluster view: everyone else fails to reach it too",
			states(hostBDown...), states("c b overlay overlay-tcp out failing timeout", "c b overlay overlay-oneway in failing missing"),
			[]string{"SwarmlinkHostUnreachable cluster->b all host-unreachable"}),
		Entry("the cluster view is enough for the other direction",
			states(hostBDown[:4]...), states("c b overlay overlay-tcp out failing timeout"),
			[]string{"SwarmlinkHostUnreachable cluster->b all host-unreachable"}),
		Entry("no host alert while another agent still reaches the host",
			states(hostBDown...), states("c b overlay overlay-tcp out healthy", "c b published published-tcp out healthy"),
			[]string{"SwarmlinkLinkDown a->b overlay timeout", "SwarmlinkLinkDown a->b published refused"}),
		Entry("no host alert from one direction alone without a cluster view",
			states(hostBDown[:4]...), nil,
			[]string{"SwarmlinkLinkDown a->b overlay timeout", "SwarmlinkLinkDown a->b published refused"}),
		Entry("outbound failing, inbound healthy: one-way a->b, sent by a",
			states("a b overlay overlay-tcp out failing timeout", "a b overlay overlay-oneway in healthy"), nil,
			[]string{"SwarmlinkLinkOneWay a->b overlay one-way"}),
		Entry("inbound missing, outbound healthy: one-way b->a, sent by a (the only one who knows)",
			states("a b overlay overlay-tcp out healthy", "a b overlay overlay-oneway in failing missing"), nil,
			[]string{"SwarmlinkLinkOneWay b->a overlay one-way"}),
		Entry("both failing here but b still receives us: b->a is broken and b alerts, not a",
			states("a b overlay overlay-tcp out failing timeout", "a b overlay overlay-oneway in failing missing",
				"a b published published-tcp out healthy"),
			states("b a overlay overlay-oneway in healthy"), []string{}),
		Entry("overlay down, published works: overlay data plane",
			states("a b overlay overlay-tcp out failing timeout", "a b overlay overlay-udp out failing timeout",
				"a b overlay overlay-oneway in failing missing", "a b published published-tcp out healthy"), nil,
			[]string{"SwarmlinkOverlayDataPlane a->b overlay overlay-data-plane"}),
		Entry("overlay partly up is not the data plane",
			states("a b overlay overlay-tcp out healthy", "a b overlay overlay-udp out failing timeout",
				"a b published published-tcp out healthy"), nil,
			[]string{"SwarmlinkLinkDown a->b overlay timeout"}),
		Entry("large echo fails with cause mtu: MTU",
			states("a b overlay overlay-tcp out healthy", "a b overlay overlay-large out failing mtu"), nil,
			[]string{"SwarmlinkMTU a->b overlay mtu"}),
		Entry("small tcp passes, large times out: MTU",
			states("a b overlay overlay-tcp out healthy", "a b overlay overlay-udp out healthy",
				"a b overlay overlay-large out failing timeout", "a b published published-tcp out healthy",
				"a b published published-large out healthy"), nil,
			[]string{"SwarmlinkMTU a->b overlay mtu"}),
		Entry("published refused while overlay works: link down on published",
			states("a b overlay overlay-tcp out healthy", "a b published published-tcp out failing refused"), nil,
			[]string{"SwarmlinkLinkDown a->b published refused"}),
		Entry("a failing user check: check failed",
			states("a db.example direct pg out failing refused", "a db.example direct web out healthy"), nil,
			[]string{"SwarmlinkCheckFailed a->db.example direct refused"}),
		Entry("this agent cut off from every peer: one host alert about itself",
			states("a b overlay overlay-tcp out failing timeout", "a b published published-tcp out failing timeout",
				"a c overlay overlay-tcp out failing timeout", "a c published published-tcp out failing timeout"), nil,
			[]string{"SwarmlinkHostUnreachable cluster->a all host-unreachable"}),
		Entry("two peers both cut off while a third works: two host alerts",
			states(append(append(hostBDown, prefixed(hostBDown, "a b ", "a c ")...), "a d overlay overlay-tcp out healthy")...), nil,
			[]string{"SwarmlinkHostUnreachable cluster->b all host-unreachable",
				"SwarmlinkHostUnreachable cluster->c all host-unreachable"}),
	)

	It("gives host alerts the same label-relevant fields on every agent", func() {
		fromA := alert.Localise(alert.Input{Self: "a", Local: states(hostBDown...)})
		fromC := alert.Localise(alert.Input{Self: "c", Local: states(prefixed(hostBDown, "a b ", "c b ")...)})
		Expect(fromA).To(HaveLen(1))
		Expect(fromC).To(HaveLen(1))
		Expect(fromA[0].Fingerprint).To(Equal(fromC[0].Fingerprint))
		Expect(fromA[0].Severity).To(Equal(alert.SeverityCritical))
		Expect(fromA[0].Shared).To(BeTrue())
	})

	It("names the evidence: which probes failed or passed, their causes and messages", func() {
		out := alert.Localise(alert.Input{Self: "a", Local: states("a b overlay overlay-tcp out healthy",
			"a b overlay overlay-large out failing mtu")})
		Expect(out).To(HaveLen(1))
		Expect(out[0].Evidence).To(HaveLen(2))
		Expect(out[0].Summary).To(ContainSubstring("MTU"))
		Expect(out[0].Description).To(ContainSubstring("a -> b overlay-large (outbound, seen by a): FAILING, cause mtu: probe said mtu"))
		Expect(out[0].Description).To(ContainSubstring("a -> b overlay-tcp (outbound, seen by a): passing, cause ok"))
	})
})
