package swarm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/swarm"
)

// FuzzLabels feeds arbitrary label maps to the label parsers: they must
// never panic, every check they return must be schedulable (an interval or
// a cron spec), and every label they reject must be reported.
//
// The fuzzer varies one text that is split into a map: lines are labels,
// each "key=value".
//
//	go test ./swarm -run '^$' -fuzz '^FuzzLabels$' -fuzztime 5m
func FuzzLabels(f *testing.F) {
	f.Add("swarmlink.check.web.kind=tcp\nswarmlink.check.web.target=web:80")
	f.Add("swarmlink.check.web.kind=tcp\nswarmlink.check.web.target=web:80\nswarmlink.check.web.schedule=TZ=UTC")
	f.Add("swarmlink.check.web.kind=http\nswarmlink.check.web.target=http://web/\nswarmlink.check.web.http.status=200,700")
	f.Add("swarmlink.check.a.kind=icmp\nswarmlink.check.a.target=10.0.0.2\nswarmlink.check.a.icmp.count=5")
	f.Add("swarmlink.port=80, 8080\nswarmlink.swarm-checks=false\nswarmlink.check.web=tcp")
	def := swarm.LabelDefaults{Interval: 30 * time.Second, Timeout: 5 * time.Second}
	f.Fuzz(func(t *testing.T, text string) {
		labels := map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			k, v, _ := strings.Cut(line, "=")
			labels[k] = v
		}
		checks, _ := swarm.ParseLabels(labels, def)
		for _, c := range checks {
			if (c.Interval > 0) == (c.Cron != "") {
				t.Fatalf("check %q: want exactly one of interval (%s) and cron (%q)", c.Spec.Name, c.Interval, c.Cron)
			}
			if c.Spec.Timeout <= 0 {
				t.Fatalf("check %q: timeout %s", c.Spec.Name, c.Spec.Timeout)
			}
		}
		_, _, _ = swarm.ParseServiceOptions(labels)
	})
}
