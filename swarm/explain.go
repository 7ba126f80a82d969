package swarm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/swarmlink/swarmlink/probes"
)

// Outcome is one address a composite check probed and how it went.
type Outcome struct {
	Target    string
	Reachable bool
	Cause     probes.Cause
}

func (o Outcome) ok() bool { return o.Reachable && o.Cause == probes.CauseOK }

// ExplainVIP says what the outcome of a service VIP means next to the
// outcomes of the service's task IPs (on the VIP's network, same port).
// A VIP that fails while every task answers is the load balancer (IPVS).
func ExplainVIP(vip Outcome, tasks []Outcome) string {
	up, down := split(tasks)
	switch {
	case vip.ok() && len(tasks) == 0:
		return fmt.Sprintf("connected to service VIP %s; no running task to compare it with", vip.Target)
	case vip.ok():
		return fmt.Sprintf("connected to service VIP %s; %s", vip.Target, partly(up, down))
	case len(tasks) == 0:
		return fmt.Sprintf("service VIP %s %s; no running task to compare it with", vip.Target, failVerb(vip.Cause))
	case len(down) == 0:
		return fmt.Sprintf("service VIP %s %s while %s: the service load balancer (IPVS) is not working "+
			"on this node — the kernel may lack IP_VS", vip.Target, failVerb(vip.Cause), answering(len(up)))
	case len(up) == 0:
		return fmt.Sprintf("service VIP %s %s and none of its %d task IPs answers (%s): the service's tasks, "+
			"or the overlay to them, are down, not only the load balancer", vip.Target, failVerb(vip.Cause),
			len(tasks), failures(down))
	}
	return fmt.Sprintf("service VIP %s %s while %s: connections balanced onto a dead task fail",
		vip.Target, failVerb(vip.Cause), partly(up, down))
}

// ExplainIngress says what the outcome of this node's ingress-published
// port means next to the outcomes of the service's task IPs (at the target
// port). A mesh that fails while the tasks answer is IPVS again.
func ExplainIngress(port int, ingress Outcome, tasks []Outcome) string {
	up, down := split(tasks)
	switch {
	case ingress.ok() && len(tasks) == 0:
		return fmt.Sprintf("ingress routing mesh answers on %s; no task is reachable from this agent to compare", ingress.Target)
	case ingress.ok():
		return fmt.Sprintf("ingress routing mesh answers on %s; %s", ingress.Target, partly(up, down))
	case len(tasks) == 0:
		return fmt.Sprintf("ingress routing mesh %s (%s: %s); no task of the service is reachable from this "+
			"agent to compare", ingressVerb(ingress.Cause, port), ingress.Target, ingress.Cause)
	case len(down) == 0:
		return fmt.Sprintf("ingress routing mesh %s while the tasks answer: IPVS missing? (%s: %s; %s)",
			ingressVerb(ingress.Cause, port), ingress.Target, ingress.Cause, answering(len(up)))
	case len(up) == 0:
		return fmt.Sprintf("ingress routing mesh %s and none of the %d task IPs answers (%s): the service's "+
			"tasks are down or unreachable", ingressVerb(ingress.Cause, port), len(tasks), failures(down))
	}
	return fmt.Sprintf("ingress routing mesh %s while %s", ingressVerb(ingress.Cause, port), partly(up, down))
}

// ExplainDNS judges r, the result of resolving name (tasks.<service>),
// against the running tasks' addresses: one set per network the agent
// shares with the service, since the embedded resolver answers from one
// network. The answers must equal one set; an extra answer is a stale
// entry (a task that no longer runs), a missing one a task DNS does not list.
func ExplainDNS(name string, r probes.Result, running [][]string) probes.Result {
	all := union(running)
	if !r.Reachable {
		if len(all) == 0 && r.Cause == probes.CauseDNS {
			return probes.Result{Reachable: true, Cause: probes.CauseOK, Message: name + " does not resolve and no task runs"}
		}
		r.Message = fmt.Sprintf("%s; the running tasks are %s", r.Message, listOr(all, "none"))
		return r
	}
	r.Answers = slices.Sorted(slices.Values(r.Answers))
	best := slices.Sorted(slices.Values(closest(r.Answers, running)))
	stale, missing := difference(r.Answers, best), difference(best, r.Answers)
	if len(stale)+len(missing) == 0 {
		r.Cause = probes.CauseOK
		r.Message = fmt.Sprintf("%s lists exactly the running tasks' IPs: %s", name, strings.Join(best, ", "))
		return r
	}
	var parts []string
	if len(stale) > 0 {
		parts = append(parts, "stale "+strings.Join(stale, ", ")+" (no running task)")
	}
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", ")+" (running, not listed)")
	}
	r.Cause = probes.CauseMismatch
	r.Message = fmt.Sprintf("%s answers %s but the running tasks are %s: %s", name,
		strings.Join(r.Answers, ", "), listOr(best, "none"), strings.Join(parts, "; "))
	return r
}

func split(outs []Outcome) (up, down []Outcome) {
	for _, o := range outs {
		if o.ok() {
			up = append(up, o)
		} else {
			down = append(down, o)
		}
	}
	return up, down
}

func answering(n int) string {
	if n == 1 {
		return "its only task IP answers"
	}
	return fmt.Sprintf("all %d task IPs answer", n)
}

func partly(up, down []Outcome) string {
	if len(down) == 0 {
		return answering(len(up))
	}
	return fmt.Sprintf("only %d of %d task IPs answer (not answering: %s)", len(up), len(up)+len(down), failures(down))
}

func failures(down []Outcome) string {
	parts := make([]string, len(down))
	for i, o := range down {
		parts[i] = o.Target + " " + string(o.Cause)
	}
	return strings.Join(parts, ", ")
}

func failVerb(c probes.Cause) string {
	switch c {
	case probes.CauseTimeout:
		return "times out"
	case probes.CauseRefused:
		return "refuses connections"
	case probes.CauseReset:
		return "resets connections"
	case probes.CauseUnreachable:
		return "is unreachable"
	}
	return "fails (" + string(c) + ")"
}

func ingressVerb(c probes.Cause, port int) string {
	switch c {
	case probes.CauseRefused:
		return fmt.Sprintf("refuses port %d", port)
	case probes.CauseTimeout:
		return fmt.Sprintf("times out on port %d", port)
	}
	return fmt.Sprintf("fails on port %d (%s)", port, c)
}

// closest is the set of sets nearest to answers (fewest differences).
func closest(answers []string, sets [][]string) []string {
	var best []string
	bestDiff := -1
	for _, s := range sets {
		d := len(difference(answers, s)) + len(difference(s, answers))
		if bestDiff < 0 || d < bestDiff {
			best, bestDiff = s, d
		}
	}
	return best
}

// difference is a - b, sorted.
func difference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

func union(sets [][]string) []string {
	var out []string
	for _, s := range sets {
		for _, x := range s {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	slices.Sort(out)
	return out
}

func listOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}
