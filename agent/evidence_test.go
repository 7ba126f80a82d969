package agent

import (
	"bufio"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/links"
)

var _ = Describe("host evidence", func() {
	It("reads /proc/net/route: destinations as CIDR, gateways, interfaces", func() {
		table := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
			"eth1\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		Expect(parseRoutes(bufio.NewScanner(strings.NewReader(table)))).To(Equal([]links.Route{
			{Destination: "0.0.0.0/0", Gateway: "172.18.0.1", Interface: "eth1"},
			{Destination: "10.0.0.0/24", Interface: "eth0"},
		}))
	})

	It("is read again only after its TTL", func() {
		reads := 0
		h := &hostEvidence{read: func() links.HostEvidence { reads++; return links.HostEvidence{} }}
		t0 := time.Now()
		h.get(t0)
		h.get(t0.Add(evidenceTTL / 2))
		Expect(reads).To(Equal(1))
		h.get(t0.Add(2 * evidenceTTL))
		Expect(reads).To(Equal(2))
	})
})
