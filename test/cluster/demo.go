package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Attach returns the n nodes of a cluster that is already running (the
// demo), by their fixed names and addresses. It starts and stops nothing.
func Attach(n int) ([]*Node, error) {
	nodes := make([]*Node, 0, n)
	for i := 1; i <= n; i++ {
		node, err := newNode(i)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, node)
	}
	return nodes, nil
}

// HealAll undoes every fault the harness injects, whoever injected it: it
// deletes each DROP rule marked RuleComment in every node's namespace and
// brings every node's underlay link up again.
func HealAll(ctx context.Context, nodes []*Node) error {
	var errs []error
	for _, n := range nodes {
		for _, table := range []string{"filter", "raw", "mangle"} {
			errs = append(errs, deleteMarked(ctx, n, table))
		}
		if linkExists(ctx, n.names.Veth) {
			if _, err := run(ctx, "ip", "link", "set", n.names.Veth, "up"); err != nil {
				errs = append(errs, fmt.Errorf("reconnecting %s: %w", n.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// deleteMarked deletes the harness's DROP rules of one table in n's
// namespace, as `iptables -S` lists them.
func deleteMarked(ctx context.Context, n *Node, table string) error {
	out, err := nsRun(ctx, n.NS(), "iptables", "-t", table, "-S")
	if err != nil {
		return fmt.Errorf("listing %s rules on %s: %w", table, n.Name, err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" || !strings.Contains(line, RuleComment) || !strings.HasSuffix(line, "-j DROP") {
			continue
		}
		f[0] = "-D"
		if _, err := nsRun(ctx, n.NS(), append([]string{"iptables", "-t", table}, f...)...); err != nil {
			return fmt.Errorf("healing %s: %w", n.Name, err)
		}
	}
	return nil
}
