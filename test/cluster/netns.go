package cluster

import (
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

// Listen opens a listener (network "tcp" or "udp"... as net.Listen) on addr
// inside n's network namespace, so that containers and other nodes reach it
// at one of the node's addresses. The socket belongs to the namespace it was
// made in; accepting and serving on it may happen on any goroutine. Close it
// when done (the namespace's deletion does not).
func (n *Node) Listen(network, addr string) (net.Listener, error) {
	type result struct {
		l   net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread that entered the node's namespace
		// ends with this goroutine, so no other goroutine runs there.
		runtime.LockOSThread()
		l, err := listenIn(netnsPath(n.names.NS), network, addr)
		done <- result{l, err}
	}()
	r := <-done
	if r.err != nil {
		return nil, fmt.Errorf("listening on %s in %s: %w", addr, n.Name, r.err)
	}
	return r.l, nil
}

// listenIn switches the calling (locked) thread to the network namespace
// pinned at path and listens there.
func listenIn(path, network, addr string) (net.Listener, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns: %w", err)
	}
	return net.Listen(network, addr)
}
