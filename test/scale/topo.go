package scale

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// forwardRule is the root namespace's FORWARD rule that lets bridged frames
// between the namespaces pass (br_netfilter hands them to iptables, and a
// dockerd that ever ran in the root namespace leaves the policy at DROP).
var forwardRule = []string{"FORWARD", "-i", Bridge, "-o", Bridge, "-m", "comment", "--comment", Comment, "-j", "ACCEPT"}

// Up makes the bridge and k namespaces, each with a veth on the bridge and
// its address. It batches the ip commands: one for the root namespace and one
// per node, so 200 nodes take a few seconds, not a few thousand execs.
func Up(ctx context.Context, k int) error {
	if k < 2 || k > MaxK {
		return fmt.Errorf("k %d: expected 2 to %d", k, MaxK)
	}
	if err := raiseNeigh(k); err != nil {
		return err
	}
	var root strings.Builder
	fmt.Fprintf(&root, "link add %s type bridge\naddr add %s/16 dev %s\nlink set %s up\n", Bridge, BridgeAddr, Bridge, Bridge)
	for i := 1; i <= k; i++ {
		fmt.Fprintf(&root, "netns add %s\nlink add %s type veth peer name eth0 netns %s\nlink set %s master %s up\n",
			nodeNS(i), nodeVeth(i), nodeNS(i), nodeVeth(i), Bridge)
	}
	if err := batch(ctx, "", root.String()); err != nil {
		return err
	}
	for i := 1; i <= k; i++ {
		cmds := fmt.Sprintf("addr add %s/16 dev eth0\nlink set eth0 up\nlink set lo up\n", nodeAddr(i))
		if err := batch(ctx, nodeNS(i), cmds); err != nil {
			return err
		}
	}
	return run(ctx, "iptables", append([]string{"-I"}, forwardRule...)...)
}

// batch feeds ip -batch, in namespace ns when it is not empty.
func batch(ctx context.Context, ns, cmds string) error {
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	c := exec.CommandContext(ctx, "ip", args...)
	c.Stdin = strings.NewReader(cmds)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Cleanup removes everything the harness makes: its agent processes (found
// by StateDir in their command line), the scl- namespaces (their veths go
// with them), the bridge and the FORWARD rule. It is safe to run when there
// is nothing to remove, and Run calls it first, so a run killed with SIGKILL
// is cleaned by the next one. It returns what it could not remove.
func Cleanup(ctx context.Context) error {
	var errs []string
	killStateProcs()
	// Deleting a veth removes both ends at once; a namespace's deletion
	// frees its veths later, in the background, and Leftovers would see them.
	links, _ := exec.CommandContext(ctx, "ip", "-o", "link").Output()
	for _, l := range linkNames(string(links)) {
		if strings.HasPrefix(l, vethPrefix) {
			_ = run(ctx, "ip", "link", "del", l)
		}
	}
	out, _ := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], nsPrefix) {
			if err := run(ctx, "ip", "netns", "del", f[0]); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if exec.CommandContext(ctx, "ip", "link", "show", Bridge).Run() == nil {
		if err := run(ctx, "ip", "link", "del", Bridge); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for range 10 {
		if run(ctx, "iptables", append([]string{"-D"}, forwardRule...)...) != nil {
			break
		}
	}
	if err := restoreNeigh(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("cleanup: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Leftovers lists what Cleanup should have removed and did not.
func Leftovers(ctx context.Context) []string {
	var left []string
	out, _ := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, nsPrefix) {
			left = append(left, "netns "+f)
		}
	}
	out, _ = exec.CommandContext(ctx, "ip", "-o", "link").Output()
	for _, l := range linkNames(string(out)) {
		if strings.HasPrefix(l, "scl-") {
			left = append(left, "link "+l)
		}
	}
	if run(ctx, "iptables", append([]string{"-C"}, forwardRule...)...) == nil {
		left = append(left, "iptables FORWARD rule "+Comment)
	}
	if _, err := os.Stat(neighSaved); err == nil {
		left = append(left, "raised ARP gc_thresh (saved in "+neighSaved+")")
	}
	for _, pid := range stateProcs() {
		left = append(left, fmt.Sprintf("process %d", pid))
	}
	return left
}

// linkNames returns the interface names of ip -o link output ("scl-v1" of
// "5: scl-v1@if2: <...>").
func linkNames(out string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
		}
	}
	return names
}
