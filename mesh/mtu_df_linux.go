package mesh

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setDontFragment sets the DF bit on a UDP socket: IP_PMTUDISC_PROBE makes
// the kernel neither fragment a datagram nor cap it by the path MTU it
// cached, so every size under test leaves as one packet of that size, or
// fails locally with EMSGSIZE when the interface MTU is smaller.
func setDontFragment(network string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if network == "udp6" {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_PROBE)
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE)
	})
	if err != nil {
		return err
	}
	return serr
}
