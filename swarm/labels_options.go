package swarm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

// What the duration options expect; the bounds are the controller's (see
// controller.MinInterval) and the same as in the config file.
const (
	intervalExpected = "a duration from 100ms to 24h such as 500ms, 5s or 1m"
	timeoutExpected  = "a duration from 1ms to 1h such as 500ms, 5s or 1m"
	icmpGapExpected  = "a duration from 1ms to 10s such as 200ms"
)

var methodRE = regexp.MustCompile(`^[A-Z]{1,16}$`)

// blockOption sets one option of the kind's options block (block.sub);
// it returns what was expected when v does not fit, else "".
func (d *draft) blockOption(block, sub, v string) string {
	switch probes.Kind(block) {
	case probes.KindTCP:
		return d.tcpOption(sub, v)
	case probes.KindHTTP:
		return d.httpOption(sub, v)
	case probes.KindDNS:
		return d.dnsOption(sub, v)
	case probes.KindUDP:
		return d.udpOption(sub, v)
	case probes.KindICMP:
		return d.icmpOption(sub, v)
	}
	return "a known option: kind, target, interval, timeout, schedule, expect, or <kind>.<option> " +
		"with kind tcp, http, dns, udp or icmp"
}

func (d *draft) tcpOption(sub, v string) string {
	if d.spec.TCP == nil {
		d.spec.TCP = &probes.TCPOptions{}
	}
	switch sub {
	case "send":
		d.spec.TCP.Send = v
	case "expect":
		d.spec.TCP.Expect = v
	default:
		return "a tcp option: tcp.send or tcp.expect"
	}
	return ""
}

func (d *draft) httpOption(sub, v string) string {
	if d.spec.HTTP == nil {
		d.spec.HTTP = &probes.HTTPOptions{}
	}
	o := d.spec.HTTP
	var ok bool
	switch header, isHeader := strings.CutPrefix(sub, "headers."); {
	case isHeader && header != "":
		if o.Headers == nil {
			o.Headers = map[string]string{}
		}
		o.Headers[header] = v
		return ""
	case sub == "method":
		o.Method, ok = v, methodRE.MatchString(v)
		return unless(ok, "an HTTP method in capitals such as GET or HEAD")
	case sub == "status":
		o.Status, ok = intList(v, 100, 599)
		return unless(ok, "HTTP status codes 100-599, comma separated")
	case sub == "body_contains":
		o.BodyContains = v
		return ""
	case sub == "body_regexp":
		_, err := regexp.Compile(v)
		o.BodyRegexp = v
		return unless(err == nil, "a regular expression (RE2)")
	case sub == "tls_skip_verify":
		o.TLSSkipVerify, ok = boolean(v)
		return unless(ok, "true or false")
	}
	return "an http option: http.method, http.status, http.body_contains, http.body_regexp, " +
		"http.tls_skip_verify or http.headers.<Name>"
}

func (d *draft) dnsOption(sub, v string) string {
	if d.spec.DNS == nil {
		d.spec.DNS = &probes.DNSOptions{}
	}
	o := d.spec.DNS
	var ok bool
	switch sub {
	case "resolver":
		o.Resolver = v
		return hostPortExpected(v)
	case "transport":
		o.Transport, ok = v, v == "udp" || v == "tcp"
		return unless(ok, "udp or tcp")
	case "record":
		switch o.Record = v; v {
		case probes.RecordA, probes.RecordAAAA, probes.RecordAnyIP, probes.RecordCNAME, probes.RecordTXT, probes.RecordSRV:
			return ""
		}
		return "A, AAAA, ANY-IP, CNAME, TXT or SRV"
	case "min_answers":
		o.MinAnswers, ok = intIn(v, 0, 1000)
		return unless(ok, "a whole number 0-1000")
	case "answers":
		o.Answers, ok = list(v)
		return unless(ok, "answers separated by commas, none empty")
	}
	return "a dns option: dns.resolver, dns.transport, dns.record, dns.min_answers or dns.answers"
}

func (d *draft) udpOption(sub, v string) string {
	if d.spec.UDP == nil {
		d.spec.UDP = &probes.UDPOptions{}
	}
	var ok bool
	switch sub {
	case "payload":
		d.spec.UDP.Payload = v
	case "expect":
		d.spec.UDP.Expect = v
	case "count":
		d.spec.UDP.Count, ok = intIn(v, 1, 100)
		return unless(ok, "a whole number 1-100")
	default:
		return "a udp option: udp.payload, udp.expect or udp.count"
	}
	return ""
}

func (d *draft) icmpOption(sub, v string) string {
	if d.spec.ICMP == nil {
		d.spec.ICMP = &probes.ICMPOptions{}
	}
	o := d.spec.ICMP
	var ok bool
	switch sub {
	case "count":
		o.Count, ok = intIn(v, 1, 100)
		return unless(ok, "a whole number 1-100")
	case "interval":
		o.Interval, ok = durationIn(v, time.Millisecond, 10*time.Second)
		return unless(ok, icmpGapExpected)
	case "size":
		o.Size, ok = intIn(v, 0, 65000)
		return unless(ok, "a whole number of bytes 0-65000")
	case "max_loss_percent":
		f, err := strconv.ParseFloat(v, 64)
		o.MaxLossPercent = f
		return unless(err == nil && f >= 0 && f <= 100, "a number 0-100")
	}
	return "an icmp option: icmp.count, icmp.interval, icmp.size or icmp.max_loss_percent"
}

// ParseServiceOptions reads the labels that steer the swarm checks of a
// service: the extra target ports of swarmlink.port and the opt-out
// swarmlink.swarm-checks=false. A bad value is returned as an error and
// ignored (no extra ports; not opted out).
func ParseServiceOptions(labels map[string]string) (ports []int, optOut bool, errs []LabelError) {
	if v, ok := labels[PortLabel]; ok {
		var good bool
		if ports, good = intList(v, 1, 65535); !good {
			ports = nil
			errs = append(errs, LabelError{Label: PortLabel, Value: v, Expected: "ports 1-65535, comma separated"})
		}
	}
	if v, ok := labels[OptOutLabel]; ok {
		on, good := boolean(v)
		optOut = good && !on
		if !good {
			errs = append(errs, LabelError{Label: OptOutLabel, Value: v, Expected: "true or false"})
		}
	}
	return ports, optOut, errs
}

func unless(ok bool, expected string) string {
	if ok {
		return ""
	}
	return expected
}

// durationIn parses v and checks lo <= v <= hi; a value that does not fit
// is returned as 0, so the rules between options do not report it again.
func durationIn(v string, lo, hi time.Duration) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, false
	}
	return d, true
}

func cronExpected(v string) string {
	if _, err := controller.ParseCron(v); err != nil {
		return fmt.Sprintf("a cron schedule such as \"0 3 * * *\" (%v)", err)
	}
	return ""
}

func boolean(v string) (bool, bool) {
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

func intIn(v string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil && n >= lo && n <= hi
}

// intList parses "200, 204" with every number in [lo, hi].
func intList(v string, lo, hi int) ([]int, bool) {
	items, ok := list(v)
	out := make([]int, 0, len(items))
	for _, it := range items {
		n, good := intIn(it, lo, hi)
		if !good {
			return nil, false
		}
		out = append(out, n)
	}
	return out, ok
}

// list splits a comma-separated value; no item may be empty.
func list(v string) ([]string, bool) {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		if parts[i] = strings.TrimSpace(p); parts[i] == "" {
			return nil, false
		}
	}
	return parts, true
}
