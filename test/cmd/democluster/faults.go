package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// demoNodes is the demo's size (cluster.Options' default).
const demoNodes = 3

// faults are the faults `democluster break` injects, by name: what a
// newcomer breaks to watch swarmlink find it.
var faults = map[string]struct {
	what   string
	inject func(context.Context, *cluster.Node) (cluster.Heal, error)
}{
	"vxlan-in":  {"drop the overlay's VXLAN (UDP 4789) arriving at the node", cluster.DropOverlayTo},
	"vxlan-out": {"drop the overlay's VXLAN leaving the node", cluster.DropOverlayFrom},
	"mtu":       {"an MTU black hole: VXLAN packets of 1000 B or more arriving at the node are dropped", cluster.MTUBlackHole},
	"published": {"drop the mesh's published port (9471) on the node", func(ctx context.Context, n *cluster.Node) (cluster.Heal, error) {
		return cluster.DropPublishedPort(ctx, n, "tcp", 9471)
	}},
	"cut": {"cut the node off the underlay (its link goes down)", cluster.CutNode},
}

func faultNames() string {
	names := make([]string, 0, len(faults))
	for n := range faults {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// breakLink injects fault on node of the running demo; `heal` undoes it.
func breakLink(ctx context.Context, out io.Writer, fault, node string) error {
	f, ok := faults[fault]
	if !ok {
		return fmt.Errorf("break: unknown fault %q: expected %s", fault, faultNames())
	}
	n, err := demoNode(node)
	if err != nil {
		return err
	}
	if _, err := f.inject(ctx, n); err != nil {
		return err
	}
	fmt.Fprintf(out, "broken: %s on %s (%s)\n", fault, n.Name, f.what)
	fmt.Fprintf(out, "watch:  go run . status --server http://%s:9470 --watch 2s   (or the UI there, or Alertmanager at %s)\n",
		n.Addr, amURL())
	fmt.Fprintln(out, "heal:   make demo-heal")
	return nil
}

func demoNode(name string) (*cluster.Node, error) {
	if !cluster.DemoRunning() {
		return nil, fmt.Errorf("no demo cluster is running: make demo first")
	}
	nodes, err := cluster.Attach(demoNodes)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("break: unknown node %q: expected node1, node2 or node3", name)
}

// heal undoes every fault on every node of the demo.
func heal(ctx context.Context, out io.Writer) error {
	nodes, err := cluster.Attach(demoNodes)
	if err != nil {
		return err
	}
	if err := cluster.HealAll(ctx, nodes); err != nil {
		return err
	}
	fmt.Fprintln(out, "healed: every injected fault removed; the diagnosis turns healthy within a few mesh intervals")
	return nil
}
