package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// NetCommand prepares a program that runs in n's network namespace only
// (nsenter --net): it binds and dials the node's addresses, as a service on
// that host would, and sees the machine's files. Unlike Command it needs no
// running engine. It is not bound to a context: the caller starts, stops and
// waits for it. Give it a path under StateDir in its arguments (a config,
// a data dir) and Cleanup and LeakCheck find it after a crash.
func (n *Node) NetCommand(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=" + netnsPath(n.names.NS), name}, args...)...)
}

// NetNS is the path of n's pinned network namespace, for DialIn.
func (n *Node) NetNS() string { return netnsPath(n.names.NS) }

// Listen opens a listener (network "tcp" or "udp"... as net.Listen) on addr
// inside n's network namespace, so that containers and other nodes reach it
// at one of the node's addresses. The socket belongs to the namespace it was
// made in; accepting and serving on it may happen on any goroutine. Close it
// when done (the namespace's deletion does not).
func (n *Node) Listen(network, addr string) (net.Listener, error) {
	var l net.Listener
	err := inNetns(netnsPath(n.names.NS), func() (err error) {
		l, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listening on %s in %s: %w", addr, n.Name, err)
	}
	return l, nil
}

// DialIn dials addr (network "tcp" or "udp", as net.Dial) from inside the
// network namespace at nsPath: a pinned one or a process's /proc/PID/ns/net,
// such as a container's. It sees what a program in that namespace sees (a
// container's embedded DNS at 127.0.0.11, its overlay routes) without
// starting one. The connection belongs to that namespace; it may be used and
// closed on any goroutine. ctx bounds the dial only.
func DialIn(ctx context.Context, nsPath, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(nsPath, func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dialing %s from %s: %w", addr, nsPath, err)
	}
	return c, nil
}

// inNetns runs fn on a thread switched to the network namespace pinned at
// path. Sockets fn makes belong to that namespace for their whole life.
func inNetns(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread that entered the namespace ends with
		// this goroutine, so no other goroutine runs there.
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns: %w", err)
			return
		}
		done <- fn()
	}()
	return <-done
}
