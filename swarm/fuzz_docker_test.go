package swarm_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	sw "github.com/swarmlink/swarmlink/swarm"
)

// dockerData is what the engine answers the calls the swarm sources make,
// as the JSON the Docker SDK decodes.
type dockerData struct {
	Info       system.Info         `json:"info"`
	Services   []swarm.Service     `json:"services"`
	Tasks      []swarm.Task        `json:"tasks"`
	Nodes      []swarm.Node        `json:"nodes"`
	Containers []container.Summary `json:"containers"`
}

// dnsAnswers answers every name with the fuzzed answers.
type dnsAnswers []string

func (a dnsAnswers) Probe(context.Context, probes.Spec) probes.Result {
	return probes.Result{Reachable: len(a) > 0, Cause: probes.CauseOK, Answers: a}
}

// FuzzDockerData feeds arbitrary service, task, node and container data
// (labels included) to the swarm and label sources, then runs every
// composite check they planned against it: nothing may panic, every check
// must be schedulable under its source's key prefix, and every composite
// check must find its plan.
//
//	go test ./swarm -run '^$' -fuzz FuzzDockerData -fuzztime 5m
func FuzzDockerData(f *testing.F) {
	seed, _ := json.Marshal(dockerData{Info: clusterFixture().info, Services: clusterFixture().services,
		Tasks: clusterFixture().tasks, Nodes: withManagerAddr(clusterFixture()).nodes,
		Containers: []container.Summary{{Names: []string{"/db"}, Labels: map[string]string{
			"swarmlink.check.pg.kind": "tcp", "swarmlink.check.pg.target": "db:5432"}}}})
	f.Add(seed, "10.0.1.100,172.18.0.3", "10.0.1.3")
	f.Add([]byte(`{"info":{"Swarm":{"ControlAvailable":true}},"services":[{"ID":"s","Spec":{"Name":"x",`+
		`"Labels":{"swarmlink.port":"0,65536"},"EndpointSpec":{"Mode":"dnsrr"}},"Endpoint":{"VirtualIPs":[{"NetworkID":"n","Addr":"bad"}]}}],`+
		`"tasks":[{"ServiceID":"s","Status":{"State":"running"},"NetworksAttachments":[{"Network":{"ID":"n"},"Addresses":["::/0",""]}]}]}`),
		"::", "")
	f.Add([]byte(`{"info":{"Swarm":{"ControlAvailable":true}},"services":[{"ID":"s","Spec":{"Name":""}},{"ID":"s","Spec":{"Name":""}}],`+
		`"nodes":[{"ID":"n","Status":{"Addr":"0.0.0.0"},"ManagerStatus":{"Addr":"[::1"}}]}`), "", "x")
	f.Fuzz(func(t *testing.T, data []byte, local, answers string) {
		var d dockerData
		if json.Unmarshal(data, &d) != nil {
			return
		}
		fake := &fakeDocker{info: d.Info, services: d.Services, tasks: d.Tasks, nodes: d.Nodes, containers: d.Containers}
		var locals []netip.Addr
		for _, s := range strings.Split(local, ",") {
			if a, err := netip.ParseAddr(s); err == nil {
				locals = append(locals, a)
			}
		}
		ctx := context.Background()
		cat := sw.NewCatalog()
		src := sw.NewSource(fake, cat, sw.Config{Self: "node1", Interval: 10 * time.Second, Timeout: 2 * time.Second,
			LocalAddrs: func() []netip.Addr { return locals }}, nil)
		checks, _ := src.Desired(ctx)
		checkAll(t, checks, "swarm/")
		labelChecks, _ := sw.NewLabelSource(fake, fake, sw.LabelConfig{Self: "node1", Defaults: sw.LabelDefaults{
			Interval: 30 * time.Second, Timeout: 5 * time.Second}}, nil).Desired(ctx)
		checkAll(t, labelChecks, "labels/")

		reg := probes.Registry{}
		var ans dnsAnswers
		if answers != "" {
			ans = strings.Split(answers, ",")
		}
		(&sw.Prober{Catalog: cat, Tasks: fake, TCP: &fakeTCP{}, DNS: ans}).Register(reg)
		for _, c := range checks {
			if p, composite := reg[c.Spec.Kind]; composite {
				if r := p.Probe(ctx, c.Spec); strings.Contains(r.Message, "no plan") {
					t.Fatalf("%s: %s", c.Key, r.Message)
				}
			}
		}
	})
}

func checkAll(t *testing.T, checks []controller.Check, prefix string) {
	t.Helper()
	for _, c := range checks {
		if !strings.HasPrefix(c.Key, prefix) {
			t.Fatalf("key %q outside %s", c.Key, prefix)
		}
		if (c.Interval > 0) == (c.Cron != "") {
			t.Fatalf("check %q: want exactly one of interval (%s) and cron (%q)", c.Key, c.Interval, c.Cron)
		}
		if c.Spec.Timeout <= 0 && c.Cron == "" {
			t.Fatalf("check %q: timeout %s", c.Key, c.Spec.Timeout)
		}
	}
}
