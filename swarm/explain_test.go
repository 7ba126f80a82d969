package swarm_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/swarm"
)

func up(target string) swarm.Outcome {
	return swarm.Outcome{Target: target, Reachable: true, Cause: probes.CauseOK}
}

func down(target string, c probes.Cause) swarm.Outcome {
	return swarm.Outcome{Target: target, Cause: c}
}

var _ = Describe("explanations", func() {
	DescribeTable("ExplainVIP",
		func(vip swarm.Outcome, tasks []swarm.Outcome, want string) {
			Expect(swarm.ExplainVIP(vip, tasks)).To(Equal(want))
		},
		Entry("VIP times out, every task answers: IPVS", down("10.0.1.2:80", probes.CauseTimeout),
			[]swarm.Outcome{up("10.0.1.3:80"), up("10.0.1.4:80"), up("10.0.1.5:80")},
			"service VIP 10.0.1.2:80 times out while all 3 task IPs answer: the service load balancer (IPVS) is not working on this node — the kernel may lack IP_VS"),
		Entry("VIP refused, its only task answers", down("10.0.1.2:80", probes.CauseRefused),
			[]swarm.Outcome{up("10.0.1.3:80")},
			"service VIP 10.0.1.2:80 refuses connections while its only task IP answers: the service load balancer (IPVS) is not working on this node — the kernel may lack IP_VS"),
		Entry("VIP times out, one of two tasks is dead", down("10.0.1.2:80", probes.CauseTimeout),
			[]swarm.Outcome{up("10.0.1.3:80"), down("10.0.1.4:80", probes.CauseTimeout)},
			"service VIP 10.0.1.2:80 times out while only 1 of 2 task IPs answer (not answering: 10.0.1.4:80 timeout): connections balanced onto a dead task fail"),
		Entry("VIP and every task fail", down("10.0.1.2:80", probes.CauseTimeout),
			[]swarm.Outcome{down("10.0.1.3:80", probes.CauseRefused), down("10.0.1.4:80", probes.CauseUnreachable)},
			"service VIP 10.0.1.2:80 times out and none of its 2 task IPs answers (10.0.1.3:80 refused, 10.0.1.4:80 unreachable): the service's tasks, or the overlay to them, are down, not only the load balancer"),
		Entry("VIP resets, no task to compare", down("10.0.1.2:80", probes.CauseReset), nil,
			"service VIP 10.0.1.2:80 resets connections; no running task to compare it with"),
		Entry("VIP and tasks answer", up("10.0.1.2:80"), []swarm.Outcome{up("10.0.1.3:80"), up("10.0.1.4:80")},
			"connected to service VIP 10.0.1.2:80; all 2 task IPs answer"),
		Entry("VIP answers, a task does not", up("10.0.1.2:80"),
			[]swarm.Outcome{up("10.0.1.3:80"), down("10.0.1.4:80", probes.CauseRefused)},
			"connected to service VIP 10.0.1.2:80; only 1 of 2 task IPs answer (not answering: 10.0.1.4:80 refused)"),
		Entry("VIP answers, no task to compare", up("10.0.1.2:80"), nil,
			"connected to service VIP 10.0.1.2:80; no running task to compare it with"),
	)

	DescribeTable("ExplainIngress",
		func(in swarm.Outcome, tasks []swarm.Outcome, want string) {
			Expect(swarm.ExplainIngress(8080, in, tasks)).To(Equal(want))
		},
		Entry("refused while the tasks answer: IPVS", down("10.99.0.11:8080", probes.CauseRefused),
			[]swarm.Outcome{up("10.0.1.3:80"), up("10.0.1.4:80")},
			"ingress routing mesh refuses port 8080 while the tasks answer: IPVS missing? (10.99.0.11:8080: refused; all 2 task IPs answer)"),
		Entry("times out while the only task answers", down("10.99.0.11:8080", probes.CauseTimeout),
			[]swarm.Outcome{up("10.0.1.3:80")},
			"ingress routing mesh times out on port 8080 while the tasks answer: IPVS missing? (10.99.0.11:8080: timeout; its only task IP answers)"),
		Entry("refused, no task reachable to compare", down("10.99.0.11:8080", probes.CauseRefused), nil,
			"ingress routing mesh refuses port 8080 (10.99.0.11:8080: refused); no task of the service is reachable from this agent to compare"),
		Entry("refused and every task down", down("10.99.0.11:8080", probes.CauseRefused),
			[]swarm.Outcome{down("10.0.1.3:80", probes.CauseRefused)},
			"ingress routing mesh refuses port 8080 and none of the 1 task IPs answers (10.0.1.3:80 refused): the service's tasks are down or unreachable"),
		Entry("reset, some tasks down", down("10.99.0.11:8080", probes.CauseReset),
			[]swarm.Outcome{up("10.0.1.3:80"), down("10.0.1.4:80", probes.CauseTimeout)},
			"ingress routing mesh fails on port 8080 (reset) while only 1 of 2 task IPs answer (not answering: 10.0.1.4:80 timeout)"),
		Entry("answers", up("10.99.0.11:8080"), []swarm.Outcome{up("10.0.1.3:80")},
			"ingress routing mesh answers on 10.99.0.11:8080; its only task IP answers"),
		Entry("answers, no task to compare", up("10.99.0.11:8080"), nil,
			"ingress routing mesh answers on 10.99.0.11:8080; no task is reachable from this agent to compare"),
	)

	resolved := func(answers ...string) probes.Result {
		return probes.Result{Reachable: true, Cause: probes.CauseOK, Answers: answers}
	}
	DescribeTable("ExplainDNS",
		func(r probes.Result, running [][]string, cause probes.Cause, reachable bool, want string) {
			got := swarm.ExplainDNS("tasks.web", r, running)
			Expect(got.Message).To(Equal(want))
			Expect(got.Cause).To(Equal(cause))
			Expect(got.Reachable).To(Equal(reachable))
		},
		Entry("exactly the running tasks", resolved("10.0.1.5", "10.0.1.4"), [][]string{{"10.0.1.4", "10.0.1.5"}},
			probes.CauseOK, true, "tasks.web lists exactly the running tasks' IPs: 10.0.1.4, 10.0.1.5"),
		Entry("a stale answer: a task that no longer runs", resolved("10.0.1.4", "10.0.1.5", "10.0.1.9"),
			[][]string{{"10.0.1.4", "10.0.1.5"}}, probes.CauseMismatch, true,
			"tasks.web answers 10.0.1.4, 10.0.1.5, 10.0.1.9 but the running tasks are 10.0.1.4, 10.0.1.5: stale 10.0.1.9 (no running task)"),
		Entry("a running task missing", resolved("10.0.1.4"), [][]string{{"10.0.1.4", "10.0.1.5"}},
			probes.CauseMismatch, true,
			"tasks.web answers 10.0.1.4 but the running tasks are 10.0.1.4, 10.0.1.5: missing 10.0.1.5 (running, not listed)"),
		Entry("both", resolved("10.0.1.4", "10.0.1.9"), [][]string{{"10.0.1.4", "10.0.1.5"}},
			probes.CauseMismatch, true,
			"tasks.web answers 10.0.1.4, 10.0.1.9 but the running tasks are 10.0.1.4, 10.0.1.5: stale 10.0.1.9 (no running task); missing 10.0.1.5 (running, not listed)"),
		Entry("answers from the second shared network", resolved("10.0.2.4"), [][]string{{"10.0.1.4"}, {"10.0.2.4"}},
			probes.CauseOK, true, "tasks.web lists exactly the running tasks' IPs: 10.0.2.4"),
		Entry("answers, but no task runs", resolved("10.0.1.4"), [][]string{{}}, probes.CauseMismatch, true,
			"tasks.web answers 10.0.1.4 but the running tasks are none: stale 10.0.1.4 (no running task)"),
		Entry("does not resolve while tasks run",
			probes.Result{Cause: probes.CauseDNS, Message: "lookup tasks.web: no such host"}, [][]string{{"10.0.1.4"}},
			probes.CauseDNS, false, "lookup tasks.web: no such host; the running tasks are 10.0.1.4"),
		Entry("does not resolve and no task runs",
			probes.Result{Cause: probes.CauseDNS, Message: "lookup tasks.web: no such host"}, [][]string{{}},
			probes.CauseOK, true, "tasks.web does not resolve and no task runs"),
		Entry("the resolver times out",
			probes.Result{Cause: probes.CauseTimeout, Message: "lookup tasks.web: resolver 127.0.0.11:53 timed out"},
			[][]string{{"10.0.1.4"}}, probes.CauseTimeout, false,
			"lookup tasks.web: resolver 127.0.0.11:53 timed out; the running tasks are 10.0.1.4"),
	)
})
