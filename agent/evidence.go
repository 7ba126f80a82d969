package agent

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/swarmlink/swarmlink/links"
)

// evidenceTTL is how long the host evidence is reused: interfaces and
// routes change rarely, and every view served carries them.
const evidenceTTL = 30 * time.Second

// hostEvidence is this agent's interfaces and routes as it sees them
// (unprivileged: /proc/net/route and the interface list), cached.
type hostEvidence struct {
	mu   sync.Mutex
	at   time.Time
	last links.HostEvidence
	read func() links.HostEvidence
}

func (h *hostEvidence) get(now time.Time) *links.HostEvidence {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.at.IsZero() || now.Sub(h.at) > evidenceTTL {
		h.last, h.at = h.read().Bounded(), now
	}
	ev := h.last
	return &ev
}

// readHostEvidence reads the interfaces and /proc/net/route.
func readHostEvidence() links.HostEvidence {
	var ev links.HostEvidence
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		i := links.Interface{Name: ifc.Name, MTU: ifc.MTU}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			i.Addrs = append(i.Addrs, a.String())
		}
		ev.Interfaces = append(ev.Interfaces, i)
	}
	if f, err := os.Open("/proc/net/route"); err == nil {
		defer f.Close()
		ev.Routes = parseRoutes(bufio.NewScanner(f))
	}
	return ev
}

// parseRoutes reads /proc/net/route: Iface Destination Gateway Flags ...
// Mask, addresses in little-endian hex.
func parseRoutes(sc *bufio.Scanner) []links.Route {
	var out []links.Route
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		if first || len(f) < 8 {
			continue
		}
		dst, gw, mask := hexIP(f[1]), hexIP(f[2]), hexIP(f[7])
		if dst == nil || mask == nil {
			continue
		}
		ones, _ := net.IPMask(mask.To4()).Size()
		r := links.Route{Destination: (&net.IPNet{IP: dst, Mask: net.CIDRMask(ones, 32)}).String(), Interface: f[0]}
		if gw != nil && !gw.Equal(net.IPv4zero) {
			r.Gateway = gw.String()
		}
		out = append(out, r)
	}
	return out
}

func hexIP(s string) net.IP {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return nil
	}
	v := binary.LittleEndian.Uint32(b)
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).To4()
}
