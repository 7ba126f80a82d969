package swarm_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/swarm"
)

var defaults = swarm.LabelDefaults{Interval: 30 * time.Second, Timeout: 5 * time.Second}

// web is the prefix of every label of the check named "web".
const web = "swarmlink.check.web."

var _ = Describe("ParseLabels", func() {
	DescribeTable("turns good labels into exactly these checks",
		func(labels map[string]string, want []swarm.LabelCheck) {
			got, errs := swarm.ParseLabels(labels, defaults)
			Expect(errs).To(BeEmpty())
			Expect(got).To(Equal(want))
		},
		Entry("the minimal tcp check, with every default", map[string]string{
			web + "kind": "tcp", web + "target": "web:80",
		}, []swarm.LabelCheck{{Interval: 30 * time.Second, Spec: probes.Spec{Name: "web", Kind: probes.KindTCP,
			Target: "web:80", Timeout: 5 * time.Second, Expect: probes.ExpectReachable}}}),
		Entry("an http check with every http option", map[string]string{
			web + "kind": "http", web + "target": "http://web:80/healthz", web + "interval": "10s",
			web + "timeout": "2s", web + "http.method": "HEAD", web + "http.status": "200, 204",
			web + "http.body_contains": "ok", web + "http.body_regexp": "o+k", web + "http.tls_skip_verify": "true",
			web + "http.headers.Host": "web.example",
		}, []swarm.LabelCheck{{Interval: 10 * time.Second, Spec: probes.Spec{Name: "web", Kind: probes.KindHTTP,
			Target: "http://web:80/healthz", Timeout: 2 * time.Second, Expect: probes.ExpectReachable,
			HTTP: &probes.HTTPOptions{Method: "HEAD", Status: []int{200, 204}, BodyContains: "ok", BodyRegexp: "o+k",
				TLSSkipVerify: true, Headers: map[string]string{"Host": "web.example"}}}}}),
		Entry("an isolation check, timeout capped at a short interval", map[string]string{
			web + "kind": "tcp", web + "target": "db:5432", web + "expect": "unreachable", web + "interval": "2s",
			web + "tcp.send": "PING", web + "tcp.expect": "PONG",
		}, []swarm.LabelCheck{{Interval: 2 * time.Second, Spec: probes.Spec{Name: "web", Kind: probes.KindTCP,
			Target: "db:5432", Timeout: 2 * time.Second, Expect: probes.ExpectUnreachable,
			TCP: &probes.TCPOptions{Send: "PING", Expect: "PONG"}}}}),
		Entry("a dns check on the embedded resolver", map[string]string{
			web + "kind": "dns", web + "target": "tasks.web", web + "dns.resolver": "127.0.0.11:53",
			web + "dns.transport": "tcp", web + "dns.record": "A", web + "dns.min_answers": "3",
			web + "dns.answers": "10.0.1.5,10.0.1.6",
		}, []swarm.LabelCheck{{Interval: 30 * time.Second, Spec: probes.Spec{Name: "web", Kind: probes.KindDNS,
			Target: "tasks.web", Timeout: 5 * time.Second, Expect: probes.ExpectReachable,
			DNS: &probes.DNSOptions{Resolver: "127.0.0.11:53", Transport: "tcp", Record: "A", MinAnswers: 3,
				Answers: []string{"10.0.1.5", "10.0.1.6"}}}}}),
		Entry("udp and icmp checks, sorted by name; other labels ignored", map[string]string{
			"swarmlink.check.b.kind": "udp", "swarmlink.check.b.target": "10.0.0.2:7",
			"swarmlink.check.b.udp.payload": "hi", "swarmlink.check.b.udp.expect": "hi", "swarmlink.check.b.udp.count": "3",
			"swarmlink.check.a.kind": "icmp", "swarmlink.check.a.target": "10.0.0.2", "swarmlink.check.a.icmp.count": "5",
			"swarmlink.check.a.icmp.interval": "100ms", "swarmlink.check.a.icmp.size": "1400",
			"swarmlink.check.a.icmp.max_loss_percent": "20", "com.docker.stack.namespace": "app",
			"traefik.enable": "true", "swarmlink.port": "80",
		}, []swarm.LabelCheck{
			{Interval: 30 * time.Second, Spec: probes.Spec{Name: "a", Kind: probes.KindICMP, Target: "10.0.0.2",
				Timeout: 5 * time.Second, Expect: probes.ExpectReachable,
				ICMP: &probes.ICMPOptions{Count: 5, Interval: 100 * time.Millisecond, Size: 1400, MaxLossPercent: 20}}},
			{Interval: 30 * time.Second, Spec: probes.Spec{Name: "b", Kind: probes.KindUDP, Target: "10.0.0.2:7",
				Timeout: 5 * time.Second, Expect: probes.ExpectReachable,
				UDP: &probes.UDPOptions{Payload: "hi", Expect: "hi", Count: 3}}},
		}),
		Entry("a cron schedule instead of an interval", map[string]string{
			web + "kind": "tcp", web + "target": "web:80", web + "schedule": "0 3 * * *",
		}, []swarm.LabelCheck{{Cron: "0 3 * * *", Spec: probes.Spec{Name: "web", Kind: probes.KindTCP,
			Target: "web:80", Timeout: 5 * time.Second, Expect: probes.ExpectReachable}}}),
	)

	DescribeTable("reports every bad label with its value and what was expected, and skips only its check",
		func(labels map[string]string, wantChecks []string, want []string) {
			got, errs := swarm.ParseLabels(labels, defaults)
			names := []string{}
			for _, c := range got {
				names = append(names, c.Spec.Name)
			}
			Expect(names).To(Equal(wantChecks))
			texts := []string{}
			for _, e := range errs {
				e.Service = "app_web"
				texts = append(texts, e.Error())
			}
			Expect(texts).To(Equal(want))
		},
		Entry("missing kind and target", map[string]string{web + "interval": "10s"}, []string{}, []string{
			`service app_web: label swarmlink.check.web.kind="": expected a kind: tcp, http, dns, udp or icmp (label missing)`,
		}),
		Entry("unknown kind; a missing target", map[string]string{web + "kind": "smtp",
			"swarmlink.check.b.kind": "tcp"}, []string{}, []string{
			`service app_web: label swarmlink.check.b.target="": expected a target (host:port, URL or name, per kind) (label missing)`,
			`service app_web: label swarmlink.check.web.kind="smtp": expected tcp, http, dns, udp or icmp`,
		}),
		Entry("bad durations and a timeout over the interval; the good check stays", map[string]string{
			web + "kind": "tcp", web + "target": "web:80", web + "interval": "10x",
			"swarmlink.check.b.kind": "tcp", "swarmlink.check.b.target": "web:80", "swarmlink.check.b.interval": "1s",
			"swarmlink.check.b.timeout": "2s", "swarmlink.check.ok.kind": "tcp", "swarmlink.check.ok.target": "web:80",
		}, []string{"ok"}, []string{
			`service app_web: label swarmlink.check.b.timeout="2s": expected a timeout no longer than the interval 1s`,
			`service app_web: label swarmlink.check.web.interval="10x": expected a duration from 100ms to 24h such as 500ms, 5s or 1m`,
		}),
		Entry("targets that do not fit the kind", map[string]string{
			web + "kind": "tcp", web + "target": "web",
			"swarmlink.check.b.kind": "http", "swarmlink.check.b.target": "ftp://web/",
			"swarmlink.check.c.kind": "udp", "swarmlink.check.c.target": "web:70000",
		}, []string{}, []string{
			`service app_web: label swarmlink.check.b.target="ftp://web/": expected a URL http://host[:port]/path or https://...`,
			`service app_web: label swarmlink.check.c.target="web:70000": expected host:port with a port 1-65535`,
			`service app_web: label swarmlink.check.web.target="web": expected host:port with a port 1-65535`,
		}),
		Entry("expectation, unknown option, options of another kind", map[string]string{
			web + "kind": "http", web + "target": "http://web/", web + "expect": "maybe", web + "colour": "red",
			web + "dns.resolver": "127.0.0.11:53",
		}, []string{}, []string{
			`service app_web: label swarmlink.check.web.colour="red": expected a known option: kind, target, interval, timeout, schedule, expect, or <kind>.<option> (e.g. http.status, dns.resolver)`,
			`service app_web: label swarmlink.check.web.dns.resolver="127.0.0.11:53": expected no dns options on a check of kind "http"`,
			`service app_web: label swarmlink.check.web.expect="maybe": expected reachable or unreachable`,
		}),
		Entry("bad option values", map[string]string{
			web + "kind": "http", web + "target": "http://web/", web + "http.status": "200,700",
			web + "http.tls_skip_verify": "yes please", web + "http.body_regexp": "(",
			"swarmlink.check.d.kind": "dns", "swarmlink.check.d.target": "tasks.web", "swarmlink.check.d.dns.transport": "quic",
			"swarmlink.check.d.dns.resolver": "127.0.0.11", "swarmlink.check.d.dns.record": "MX",
		}, []string{}, []string{
			`service app_web: label swarmlink.check.d.dns.record="MX": expected A, AAAA, ANY-IP, CNAME, TXT or SRV`,
			`service app_web: label swarmlink.check.d.dns.resolver="127.0.0.11": expected host:port with a port 1-65535`,
			`service app_web: label swarmlink.check.d.dns.transport="quic": expected udp or tcp`,
			`service app_web: label swarmlink.check.web.http.body_regexp="(": expected a regular expression (RE2)`,
			`service app_web: label swarmlink.check.web.http.status="200,700": expected HTTP status codes 100-599, comma separated`,
			`service app_web: label swarmlink.check.web.http.tls_skip_verify="yes please": expected true or false`,
		}),
		Entry("malformed label names", map[string]string{
			"swarmlink.check.web": "tcp", "swarmlink.check.we$b.kind": "tcp", "swarmlink.chekc.web.kind": "tcp",
		}, []string{}, []string{
			`service app_web: label swarmlink.check.we$b.kind="tcp": expected swarmlink.check.<name>.<option> with a name of 1-63 letters, digits, '_' or '-'`,
			`service app_web: label swarmlink.check.web="tcp": expected swarmlink.check.<name>.<option> with a name of 1-63 letters, digits, '_' or '-'`,
			`service app_web: label swarmlink.chekc.web.kind="tcp": expected a label swarmlink.check.<name>.<option>, swarmlink.port or swarmlink.swarm-checks`,
		}),
		Entry("a schedule and an interval; a bad cron", map[string]string{
			web + "kind": "tcp", web + "target": "web:80", web + "schedule": "0 3 * * *", web + "interval": "10s",
			"swarmlink.check.b.kind": "tcp", "swarmlink.check.b.target": "web:80", "swarmlink.check.b.schedule": "61 * * * *",
		}, []string{}, []string{
			`service app_web: label swarmlink.check.b.schedule="61 * * * *": expected a cron schedule such as "0 3 * * *" (end of range (61) above maximum (59): 61)`,
			`service app_web: label swarmlink.check.web.interval="10s": expected no interval on a check with a schedule: choose one`,
		}),
		Entry("durations outside their bounds", map[string]string{
			web + "kind": "icmp", web + "target": "web", web + "interval": "1ns", web + "timeout": "2h",
			web + "icmp.interval": "1m",
		}, []string{}, []string{
			`service app_web: label swarmlink.check.web.icmp.interval="1m": expected a duration from 1ms to 10s such as 200ms`,
			`service app_web: label swarmlink.check.web.interval="1ns": expected a duration from 100ms to 24h such as 500ms, 5s or 1m`,
			`service app_web: label swarmlink.check.web.timeout="2h": expected a duration from 1ms to 1h such as 500ms, 5s or 1m`,
		}),
		Entry("an oversized value skips its check", map[string]string{
			web + "kind": "tcp", web + "target": "web:80", web + "tcp.send": strings.Repeat("x", 4097),
			"swarmlink.check.ok.kind": "tcp", "swarmlink.check.ok.target": "web:80",
		}, []string{"ok"}, []string{
			`service app_web: label swarmlink.check.web.tcp.send="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": expected a value of at most 4096 bytes (got 4097)`,
		}),
		Entry("more than 100 checks on one object: none is used", manyChecks(101), []string{}, []string{
			`service app_web: label swarmlink.check.*="101 checks": expected at most 100 checks on one service or container`,
		}),
		Entry("cron specs robfig/cron panics on are reported and skipped; the good check stays", map[string]string{
			web + "kind": "tcp", web + "target": "web:80", web + "schedule": "TZ=UTC",
			"swarmlink.check.b.kind": "tcp", "swarmlink.check.b.target": "web:80", "swarmlink.check.b.schedule": "CRON_TZ=UTC",
			"swarmlink.check.c.kind": "tcp", "swarmlink.check.c.target": "web:80", "swarmlink.check.c.schedule": "@every -1s",
			"swarmlink.check.ok.kind": "tcp", "swarmlink.check.ok.target": "web:80", "swarmlink.check.ok.schedule": "@daily",
		}, []string{"ok"}, []string{
			`service app_web: label swarmlink.check.b.schedule="CRON_TZ=UTC": expected a cron schedule such as "0 3 * * *" (TZ= and CRON_TZ= prefixes are not supported: set the time_zone field instead)`,
			`service app_web: label swarmlink.check.c.schedule="@every -1s": expected a cron schedule such as "0 3 * * *" (@every -1s: the duration must be at least 1s)`,
			`service app_web: label swarmlink.check.web.schedule="TZ=UTC": expected a cron schedule such as "0 3 * * *" (TZ= and CRON_TZ= prefixes are not supported: set the time_zone field instead)`,
		}),
	)

	DescribeTable("ParseServiceOptions reads swarmlink.port and swarmlink.swarm-checks",
		func(labels map[string]string, ports []int, optOut bool, want []string) {
			gotPorts, gotOptOut, errs := swarm.ParseServiceOptions(labels)
			Expect(gotPorts).To(Equal(ports))
			Expect(gotOptOut).To(Equal(optOut))
			texts := []string{}
			for _, e := range errs {
				e.Container = "c1"
				texts = append(texts, e.Error())
			}
			Expect(texts).To(Equal(want))
		},
		Entry("none", map[string]string{}, []int(nil), false, []string{}),
		Entry("ports and opt-out", map[string]string{"swarmlink.port": "80, 8080", "swarmlink.swarm-checks": "false"},
			[]int{80, 8080}, true, []string{}),
		Entry("bad values are ignored and reported", map[string]string{"swarmlink.port": "http", "swarmlink.swarm-checks": "nope"},
			[]int(nil), false, []string{
				`container c1: label swarmlink.port="http": expected ports 1-65535, comma separated`,
				`container c1: label swarmlink.swarm-checks="nope": expected true or false`,
			}),
	)
})

// manyChecks is the labels of n good tcp checks.
func manyChecks(n int) map[string]string {
	out := map[string]string{}
	for i := range n {
		out[fmt.Sprintf("swarmlink.check.c%d.kind", i)] = "tcp"
		out[fmt.Sprintf("swarmlink.check.c%d.target", i)] = "web:80"
	}
	return out
}
