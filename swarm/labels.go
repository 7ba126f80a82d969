package swarm

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

// Labels swarmlink reads from services and containers.
const (
	LabelPrefix      = "swarmlink."
	CheckLabelPrefix = "swarmlink.check."       // swarmlink.check.<name>.<option>=<value>
	PortLabel        = "swarmlink.port"         // target ports for the swarm checks, comma separated
	OptOutLabel      = "swarmlink.swarm-checks" // "false": no swarm checks for this service
)

var checkNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// Bounds of what one object's labels may declare, the same as in the config
// file: a label value is at most MaxLabelValue bytes, and an object carries
// at most MaxChecksPerObject checks (beyond that none of its checks is used).
const (
	MaxLabelValue      = 4096
	MaxChecksPerObject = 100
)

// LabelError is one label that could not be used: the object that carries
// it, the label, its value and what was expected instead.
type LabelError struct {
	Service   string `json:"service,omitempty"`   // the Swarm service that carries the label...
	Container string `json:"container,omitempty"` // ...or the plain container
	Label     string `json:"label"`
	Value     string `json:"value"`
	Expected  string `json:"expected"`
}

// Error reads "service web: label swarmlink.check.web.interval="10x": expected ...".
func (e LabelError) Error() string {
	owner := "service " + e.Service
	if e.Service == "" {
		owner = "container " + e.Container
	}
	return fmt.Sprintf("%s: label %s=%q: expected %s", owner, e.Label, e.Value, e.Expected)
}

// LabelCheck is one check defined by labels, before it is bound to the
// service or container that carries it. Spec.Name is the check's name.
type LabelCheck struct {
	Spec     probes.Spec
	Interval time.Duration // zero when Cron is set
	Cron     string
}

// LabelDefaults are the values a check gets for what its labels leave out.
type LabelDefaults struct {
	Interval time.Duration
	Timeout  time.Duration // capped at the check's interval
}

// ParseLabels turns the swarmlink.check.* labels of one object into checks,
// sorted by name. A check with any bad label is left out and every problem
// is returned; the other checks are unaffected. Labels outside the
// swarmlink. prefix are ignored; swarmlink.port and swarmlink.swarm-checks
// are read by ParseServiceOptions.
func ParseLabels(labels map[string]string, def LabelDefaults) ([]LabelCheck, []LabelError) {
	groups, errs := groupChecks(labels)
	if len(groups) > MaxChecksPerObject {
		return nil, append(errs, LabelError{Label: CheckLabelPrefix + "*", Value: strconv.Itoa(len(groups)) + " checks",
			Expected: fmt.Sprintf("at most %d checks on one service or container", MaxChecksPerObject)})
	}
	var out []LabelCheck
	for _, name := range sortedKeys(groups) {
		c, cerrs := parseCheck(name, groups[name], def)
		errs = append(errs, cerrs...)
		if len(cerrs) == 0 {
			out = append(out, c)
		}
	}
	return out, errs
}

// groupChecks collects each check's options (name -> option -> value) and
// reports swarmlink.* labels of no known form.
func groupChecks(labels map[string]string) (map[string]map[string]string, []LabelError) {
	groups := map[string]map[string]string{}
	var errs []LabelError
	for _, key := range sortedKeys(labels) {
		if !strings.HasPrefix(key, LabelPrefix) || key == PortLabel || key == OptOutLabel {
			continue
		}
		rest, isCheck := strings.CutPrefix(key, CheckLabelPrefix)
		name, option, _ := strings.Cut(rest, ".")
		switch {
		case !isCheck:
			errs = append(errs, LabelError{Label: key, Value: labels[key], Expected: "a label " +
				CheckLabelPrefix + "<name>.<option>, " + PortLabel + " or " + OptOutLabel})
		case !checkNameRE.MatchString(name) || option == "":
			errs = append(errs, LabelError{Label: key, Value: labels[key], Expected: CheckLabelPrefix +
				"<name>.<option> with a name of 1-63 letters, digits, '_' or '-'"})
		default:
			if groups[name] == nil {
				groups[name] = map[string]string{}
			}
			groups[name][option] = labels[key]
		}
	}
	return groups, errs
}

// draft is a check being parsed from its options.
type draft struct {
	spec     probes.Spec
	interval time.Duration
	timeout  time.Duration
	cron     string
	errs     []LabelError
}

func (d *draft) fail(option, value, expected string) {
	d.errs = append(d.errs, LabelError{Label: CheckLabelPrefix + d.spec.Name + "." + option,
		Value: value, Expected: expected})
}

// parseCheck builds one check from its options: kind first, then every
// other option in name order, then the rules that span options.
func parseCheck(name string, opts map[string]string, def LabelDefaults) (LabelCheck, []LabelError) {
	d := &draft{spec: probes.Spec{Name: name, Expect: probes.ExpectReachable}}
	for _, option := range sortedKeys(opts) {
		if v := opts[option]; len(v) > MaxLabelValue {
			d.fail(option, v[:32]+"...", fmt.Sprintf("a value of at most %d bytes (got %d)", MaxLabelValue, len(v)))
		}
	}
	if len(d.errs) > 0 {
		return LabelCheck{}, d.errs
	}
	kind, hasKind := opts["kind"]
	switch probes.Kind(kind) {
	case probes.KindTCP, probes.KindHTTP, probes.KindDNS, probes.KindUDP, probes.KindICMP:
		d.spec.Kind = probes.Kind(kind)
	default:
		if !hasKind {
			d.fail("kind", "", "a kind: tcp, http, dns, udp or icmp (label missing)")
		} else {
			d.fail("kind", kind, "tcp, http, dns, udp or icmp")
		}
	}
	for _, option := range sortedKeys(opts) {
		if option != "kind" {
			d.option(option, opts[option])
		}
	}
	d.finish(opts, def)
	return LabelCheck{Spec: d.spec, Interval: d.interval, Cron: d.cron}, d.errs
}

// option applies one option; an options block of another kind is an error.
func (d *draft) option(option, v string) {
	block, sub, isBlock := strings.Cut(option, ".")
	if !isBlock {
		if want := d.generic(option, v); want != "" {
			d.fail(option, v, want)
		}
		return
	}
	if d.spec.Kind != "" && probes.Kind(block) != d.spec.Kind {
		d.fail(option, v, fmt.Sprintf("no %s options on a check of kind %q", block, d.spec.Kind))
		return
	}
	if want := d.blockOption(block, sub, v); want != "" {
		d.fail(option, v, want)
	}
}

// generic sets an option every kind has; it returns what was expected when
// v does not fit, else "".
func (d *draft) generic(option, v string) string {
	var ok bool
	switch option {
	case "target":
		d.spec.Target = v
		return ""
	case "interval":
		d.interval, ok = durationIn(v, controller.MinInterval, controller.MaxInterval)
		return unless(ok, intervalExpected)
	case "timeout":
		d.timeout, ok = durationIn(v, controller.MinTimeout, controller.MaxTimeout)
		return unless(ok, timeoutExpected)
	case "schedule":
		d.cron = v
		return cronExpected(v)
	case "expect":
		d.spec.Expect = probes.Expectation(v)
		if v != string(probes.ExpectReachable) && v != string(probes.ExpectUnreachable) {
			return "reachable or unreachable"
		}
		return ""
	}
	return "a known option: kind, target, interval, timeout, schedule, expect, or <kind>.<option> " +
		"(e.g. http.status, dns.resolver)"
}

// finish checks the target, applies the defaults and the rules between
// interval, timeout and schedule.
func (d *draft) finish(opts map[string]string, def LabelDefaults) {
	if d.spec.Kind != "" {
		if want := targetExpected(d.spec.Kind, d.spec.Target); want != "" {
			d.fail("target", d.spec.Target, want)
		}
	}
	if d.cron != "" && d.interval > 0 {
		d.fail("interval", opts["interval"], "no interval on a check with a schedule: choose one")
	}
	if d.cron == "" && d.interval == 0 {
		d.interval = def.Interval
	}
	d.spec.Timeout = d.timeout
	if d.timeout == 0 {
		d.spec.Timeout = def.Timeout
		if d.interval > 0 {
			d.spec.Timeout = min(def.Timeout, d.interval)
		}
	}
	if d.interval > 0 && d.spec.Timeout > d.interval {
		d.fail("timeout", opts["timeout"], fmt.Sprintf("a timeout no longer than the interval %s", d.interval))
	}
}

// targetExpected says what a target of kind must look like, "" when it does.
func targetExpected(kind probes.Kind, target string) string {
	switch {
	case target == "":
		return "a target (host:port, URL or name, per kind) (label missing)"
	case kind == probes.KindTCP || kind == probes.KindUDP:
		return hostPortExpected(target)
	case kind == probes.KindHTTP:
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "a URL http://host[:port]/path or https://..."
		}
	}
	return ""
}

// hostPortExpected is "" for host:port with a host and a port 1-65535.
func hostPortExpected(hp string) string {
	host, port, err := net.SplitHostPort(hp)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return "host:port with a port 1-65535"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
