package config

import (
	"fmt"
	"net/netip"
	"regexp"

	"github.com/swarmlink/swarmlink/probes"
)

func (v *validator) probe(path string, p *Probe) {
	v.name(path+".name", p.Name)
	v.target(path, p)
	v.schedule(path, p)
	switch p.Expect {
	case probes.ExpectReachable, probes.ExpectUnreachable:
	default:
		v.errf(path+".expect", "invalid value %q: expected reachable or unreachable", p.Expect)
	}
	v.optionBlocks(path, p)
	switch {
	case p.HTTP != nil:
		v.httpOptions(path+".http", p.HTTP)
	case p.DNS != nil:
		v.dnsOptions(path+".dns", p.DNS)
	case p.ICMP != nil:
		v.icmpOptions(path+".icmp", p.ICMP)
	case p.UDP != nil:
		v.intIn(path+".udp.count", p.UDP.Count, 0, MaxProbeCount)
	}
}

func (v *validator) target(path string, p *Probe) {
	if p.Target == "" {
		v.errf(path+".target", "missing target")
		return
	}
	switch p.Kind {
	case probes.KindTCP, probes.KindUDP:
		v.hostPort(path+".target", p.Target, false)
	case probes.KindHTTP:
		v.url(path+".target", p.Target)
	case probes.KindDNS, probes.KindICMP:
	case "":
		v.errf(path+".kind", "missing kind: expected tcp, http, dns, udp or icmp")
	default:
		v.errf(path+".kind", "invalid kind %q: expected tcp, http, dns, udp or icmp", p.Kind)
	}
}

func (v *validator) schedule(path string, p *Probe) {
	if p.Schedule != "" {
		v.cron(path+".schedule", p.Schedule, "UTC", false)
		if p.Interval != 0 {
			v.errf(path+".interval", "interval and schedule are both set: choose one")
		}
	} else {
		v.durationIn(path+".interval", p.Interval, MinInterval, MaxInterval)
	}
	v.durationIn(path+".timeout", p.Timeout, MinTimeout, MaxTimeout)
	if p.Interval > 0 && p.Timeout > p.Interval {
		v.errf(path+".timeout", "timeout %s is longer than interval %s: timeout must be <= interval", p.Timeout, p.Interval)
	}
}

// optionBlocks rejects an options block that does not belong to the kind.
func (v *validator) optionBlocks(path string, p *Probe) {
	blocks := map[probes.Kind]bool{
		probes.KindTCP: p.TCP != nil, probes.KindHTTP: p.HTTP != nil, probes.KindDNS: p.DNS != nil,
		probes.KindUDP: p.UDP != nil, probes.KindICMP: p.ICMP != nil,
	}
	for kind, set := range blocks {
		if set && kind != p.Kind && p.Kind != "" {
			v.errf(fmt.Sprintf("%s.%s", path, kind), "%s options given for a probe of kind %q", kind, p.Kind)
		}
	}
}

var methodRE = regexp.MustCompile(`^[A-Z]{1,16}$`)

func (v *validator) httpOptions(path string, o *probes.HTTPOptions) {
	if o.Method != "" && !methodRE.MatchString(o.Method) {
		v.errf(path+".method", "invalid method %q: expected an HTTP method in capitals such as GET or HEAD", o.Method)
	}
	for i, s := range o.Status {
		if s < 100 || s > 599 {
			v.errf(fmt.Sprintf("%s.status[%d]", path, i), "invalid HTTP status %d: expected 100-599", s)
		}
	}
	if o.BodyRegexp != "" {
		if _, err := regexp.Compile(o.BodyRegexp); err != nil {
			v.errf(path+".body_regexp", "invalid regular expression %q: %v", o.BodyRegexp, err)
		}
	}
}

func (v *validator) dnsOptions(path string, o *probes.DNSOptions) {
	if o.Resolver != "" {
		v.hostPort(path+".resolver", o.Resolver, false)
	}
	switch o.Transport {
	case "", "udp", "tcp":
	default:
		v.errf(path+".transport", "invalid value %q: expected udp or tcp", o.Transport)
	}
	switch o.Record {
	case "", "A", "AAAA", "ANY-IP", "CNAME", "TXT", "SRV":
	default:
		v.errf(path+".record", "invalid record type %q: expected A, AAAA, ANY-IP, CNAME, TXT or SRV", o.Record)
	}
	v.intIn(path+".min_answers", o.MinAnswers, 0, MaxMinAnswers)
}

func (v *validator) icmpOptions(path string, o *probes.ICMPOptions) {
	if o.Count < 0 || o.Count > MaxProbeCount {
		v.errf(path+".count", "invalid count %d: expected 1-%d", o.Count, MaxProbeCount)
	}
	if o.Interval != 0 {
		v.durationIn(path+".interval", o.Interval, MinICMPGap, MaxICMPGap)
	}
	if o.Size < 0 || o.Size > 65000 {
		v.errf(path+".size", "invalid size %d: expected 0-65000 bytes", o.Size)
	}
	if o.MaxLossPercent < 0 || o.MaxLossPercent > 100 {
		v.errf(path+".max_loss_percent", "invalid value %g: expected 0-100", o.MaxLossPercent)
	}
}

func (v *validator) mesh(m *Mesh) {
	if !m.Enabled {
		return
	}
	v.hostPort("mesh.listen", m.Listen, true)
	v.hostPort("mesh.resolver", m.Resolver, false)
	if m.PublishedPort < 1 || m.PublishedPort > 65535 {
		v.errf("mesh.published_port", "invalid port %d: expected 1-65535", m.PublishedPort)
	}
	v.meshNumbers(m)
	if m.EncryptedSubnet != "" {
		if _, err := netip.ParsePrefix(m.EncryptedSubnet); err != nil {
			v.errf("mesh.encrypted_subnet", "invalid subnet %q: expected an address prefix such as 10.201.0.0/24", m.EncryptedSubnet)
		}
	}
	if m.KeyFile == "" {
		v.errf("mesh.key_file", "missing key_file: peer messages are authenticated with a shared key (a Swarm secret)")
	}
	if m.Service == "" && len(m.Static) == 0 && !m.Docker {
		v.errf("mesh", "mesh enabled without discovery: set service, static or docker")
	}
	for i, s := range m.Static {
		path := fmt.Sprintf("mesh.static[%d]", i)
		v.name(path+".name", s.Name)
		if s.Address == "" {
			v.errf(path+".address", "missing address")
		}
		if s.Port < 1 || s.Port > 65535 {
			v.errf(path+".port", "invalid port %d: expected 1-65535", s.Port)
		}
	}
}

// meshNumbers bounds the mesh's durations, counts and sizes.
func (v *validator) meshNumbers(m *Mesh) {
	v.timing("mesh", m.Interval, m.Timeout, m.Refresh)
	v.intIn("mesh.udp_count", m.UDPCount, 1, MaxProbeCount)
	v.intIn("mesh.subset_k", m.SubsetK, 0, MaxSubsetK)
	v.intIn("mesh.max_payload", m.MaxPayload, MinMaxPayload, MaxPayloadLimit)
	if most := min(m.MaxPayload, MaxPayloadLimit); m.LargeSize != -1 && (m.LargeSize < 1 || m.LargeSize > most) {
		v.errf("mesh.large_size", "invalid value %d: expected -1 (off) or 1 to max_payload (%d)", m.LargeSize, most)
	}
}
