package swarm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/docker/docker/api/types/swarm"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
	sw "github.com/swarmlink/swarmlink/swarm"
)

// listenOn listens on ip at port (0: any), closed at cleanup.
func listenOn(ip string, port int) net.Listener {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = ln.Close() })
	return ln
}

// run runs spec with the registry's prober for its kind, like a job does.
func run(r probes.Registry, spec probes.Spec) probes.Result {
	p, err := r.Get(spec.Kind)
	Expect(err).NotTo(HaveOccurred())
	if spec.Timeout == 0 {
		spec.Timeout = 2 * time.Second
	}
	return probes.Run(context.Background(), p, spec)
}

func registry(p *sw.Prober) probes.Registry {
	r := probes.Registry{}
	p.Register(r)
	return r
}

var _ = Describe("Prober", func() {
	var cat *sw.Catalog
	BeforeEach(func() { cat = sw.NewCatalog() })

	vipPlan := func(port int, tasks ...string) sw.Plan {
		return sw.Plan{ServiceID: "svc-web", Service: "app_web", Networks: []string{"net-front"}, Port: port,
			Tasks: map[string][]netip.Addr{"net-front": addrs(tasks...)}}
	}

	It("explains a refused VIP next to task IPs that answer, over real loopback sockets", func() {
		port := listenOn("127.0.0.1", 0).Addr().(*net.TCPAddr).Port
		listenOn("127.0.0.2", port)
		vip := fmt.Sprintf("127.0.0.3:%d", port) // nothing listens there
		cat.Replace(map[sw.PlanKey]sw.Plan{{Kind: sw.KindVIP, Target: vip}: vipPlan(port, "127.0.0.1", "127.0.0.2")})
		r := run(registry(&sw.Prober{Catalog: cat}), probes.Spec{Name: "vip-80", Kind: sw.KindVIP, Target: vip,
			Expect: probes.ExpectReachable})
		Expect(r.Passed).To(BeFalse())
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect(r.Message).To(Equal("service VIP " + vip + " refuses connections while all 2 task IPs answer: " +
			"the service load balancer (IPVS) is not working on this node — the kernel may lack IP_VS"))
	})

	It("passes a VIP that answers like its tasks, over real loopback sockets", func() {
		port := listenOn("127.0.0.1", 0).Addr().(*net.TCPAddr).Port
		listenOn("127.0.0.3", port)
		vip := fmt.Sprintf("127.0.0.3:%d", port)
		cat.Replace(map[sw.PlanKey]sw.Plan{{Kind: sw.KindVIP, Target: vip}: vipPlan(port, "127.0.0.1")})
		r := run(registry(&sw.Prober{Catalog: cat}), probes.Spec{Kind: sw.KindVIP, Target: vip, Expect: probes.ExpectReachable})
		Expect(r.Passed).To(BeTrue(), r.Message)
		Expect(r.Message).To(Equal("connected to service VIP " + vip + "; its only task IP answers"))
	})

	It("probes the tasks the API lists at probe time, not the plan's, and keeps the VIP's cause", func() {
		tcp := &fakeTCP{results: map[string]probes.Cause{"10.0.1.2:80": probes.CauseTimeout}}
		f := &fakeDocker{tasks: []swarm.Task{
			task("t1", "svc-web", 1, "n1", on(front, "10.0.1.3/24")),
			task("t2", "svc-web", 2, "n2", on(front, "10.0.1.4/24")),
			task("t3", "svc-web", 3, "n3", on(front, "10.0.1.5/24")),
			task("x1", "svc-other", 1, "n3", on(front, "10.0.1.50/24")),
		}}
		cat.Replace(map[sw.PlanKey]sw.Plan{{Kind: sw.KindVIP, Target: "10.0.1.2:80"}: vipPlan(80, "10.0.1.9")})
		r := run(registry(&sw.Prober{Catalog: cat, Tasks: f, TCP: tcp}),
			probes.Spec{Kind: sw.KindVIP, Target: "10.0.1.2:80", Expect: probes.ExpectReachable})
		Expect(tcp.targets()).To(Equal([]string{"10.0.1.2:80", "10.0.1.3:80", "10.0.1.4:80", "10.0.1.5:80"}))
		Expect(r.Cause).To(Equal(probes.CauseTimeout))
		Expect(r.Message).To(Equal("service VIP 10.0.1.2:80 times out while all 3 task IPs answer: the service " +
			"load balancer (IPVS) is not working on this node — the kernel may lack IP_VS"))
	})

	It("falls back to the plan's tasks, and says so, when the API fails", func() {
		tcp := &fakeTCP{results: map[string]probes.Cause{"10.99.0.11:8080": probes.CauseRefused}}
		f := &fakeDocker{taskErr: errors.New("manager unavailable")}
		cat.Replace(map[sw.PlanKey]sw.Plan{{Kind: sw.KindIngress, Target: "10.99.0.11:8080"}: vipPlan(80, "10.0.1.3")})
		r := run(registry(&sw.Prober{Catalog: cat, Tasks: f, TCP: tcp}),
			probes.Spec{Kind: sw.KindIngress, Target: "10.99.0.11:8080", Expect: probes.ExpectReachable})
		Expect(tcp.targets()).To(Equal([]string{"10.0.1.3:80", "10.99.0.11:8080"}))
		Expect(r.Cause).To(Equal(probes.CauseRefused))
		Expect([]int{r.Tasks, r.TasksUp}).To(Equal([]int{1, 1}), "the diagnosis tells a broken mesh from a dead service by these")
		Expect(r.Message).To(Equal("ingress routing mesh refuses port 8080 while the tasks answer: IPVS missing? " +
			"(10.99.0.11:8080: refused; its only task IP answers) (tasks as of the last refresh: listing them " +
			"failed: listing tasks: manager unavailable)"))
	})

	It("compares tasks.<service> on the check's resolver with the running tasks: a stale entry is a mismatch", func() {
		var asked probes.Spec
		dns := probes.ProberFunc(func(_ context.Context, spec probes.Spec) probes.Result {
			asked = spec
			return probes.Result{Reachable: true, Cause: probes.CauseOK, Answers: []string{"10.0.1.3", "10.0.1.9"}}
		})
		f := &fakeDocker{tasks: []swarm.Task{task("t1", "svc-web", 1, "n1", on(front, "10.0.1.3/24"))}}
		cat.Replace(map[sw.PlanKey]sw.Plan{{Kind: sw.KindDNS, Target: "tasks.app_web"}: vipPlan(0, "10.0.1.3", "10.0.1.9")})
		r := run(registry(&sw.Prober{Catalog: cat, Tasks: f, DNS: dns}), probes.Spec{Name: "tasks", Kind: sw.KindDNS,
			Target: "tasks.app_web", Expect: probes.ExpectReachable,
			DNS: &probes.DNSOptions{Resolver: "127.0.0.11:53", Transport: "udp"}})
		Expect(asked.Kind).To(Equal(probes.KindDNS))
		Expect(asked.DNS).To(Equal(&probes.DNSOptions{Resolver: "127.0.0.11:53", Transport: "udp"}))
		Expect(r.Passed).To(BeFalse())
		Expect(r.Cause).To(Equal(probes.CauseMismatch))
		Expect(r.Answers).To(Equal([]string{"10.0.1.3", "10.0.1.9"}))
		Expect(r.Message).To(Equal("tasks.app_web answers 10.0.1.3, 10.0.1.9 but the running tasks are 10.0.1.3: " +
			"stale 10.0.1.9 (no running task)"))
	})

	It("fails with cause error for a check whose plan is gone", func() {
		r := run(registry(&sw.Prober{Catalog: cat}), probes.Spec{Kind: sw.KindVIP, Target: "10.0.1.2:80",
			Expect: probes.ExpectReachable})
		Expect(r.Cause).To(Equal(probes.CauseError))
		Expect(r.Message).To(Equal("no plan for swarm-vip 10.0.1.2:80: its service is gone or not listed yet"))
	})
})
