package probes

// Default returns a Registry with every probe kind this package implements:
// tcp, http, dns, udp and icmp. Each call returns a new map, so callers may
// add kinds (such as KindPeer) without affecting others.
func Default() Registry {
	return Registry{
		KindTCP:  &TCP{},
		KindHTTP: &HTTP{},
		KindDNS:  &DNS{},
		KindUDP:  &UDP{},
		KindICMP: &ICMP{},
	}
}
