package mesh

import (
	"net"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDontFragment checks that MTU probes leave with IP_PMTUDISC_PROBE:
// without it the kernel would fragment them and every size would pass.
func TestDontFragment(t *testing.T) {
	d := net.Dialer{Control: func(network, _ string, c syscall.RawConn) error { return setDontFragment(network, c) }}
	conn, err := d.Dial("udp", "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.UDPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	_ = raw.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER) })
	if gerr != nil || got != unix.IP_PMTUDISC_PROBE {
		t.Fatalf("IP_MTU_DISCOVER = %d (%v), want IP_PMTUDISC_PROBE (%d)", got, gerr, unix.IP_PMTUDISC_PROBE)
	}
}
