package probes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// DNS record selectors accepted in DNSOptions.Record.
const (
	RecordA     = "A"
	RecordAAAA  = "AAAA"
	RecordAnyIP = "ANY-IP" // A and AAAA together, as getaddrinfo would (the default)
	RecordCNAME = "CNAME"
	RecordTXT   = "TXT"
	RecordSRV   = "SRV"
)

// DNS probes name resolution: Target is the name. It uses Go's own resolver
// so that DNSOptions.Resolver and Transport apply exactly; /etc/hosts and the
// search domains of /etc/resolv.conf still apply, as for any program in the
// container. Answers are reported sorted: IPs as text, CNAME and SRV targets
// without the trailing dot, SRV as "target:port", TXT as the joined strings.
// The name is Reachable when it resolved to at least one answer. DNS is
// stateless and safe for concurrent use.
type DNS struct{}

var _ Prober = (*DNS)(nil)

// Probe runs one DNS check.
func (*DNS) Probe(ctx context.Context, spec Spec) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	opts := cmp.Or(spec.DNS, &DNSOptions{})
	record := strings.ToUpper(cmp.Or(opts.Record, RecordAnyIP))
	transport := strings.ToLower(cmp.Or(opts.Transport, "udp"))
	if transport != "udp" && transport != "tcp" {
		return Result{Cause: CauseError, Message: fmt.Sprintf("bad dns transport %q, want udp or tcp", opts.Transport)}
	}
	answers, err := lookup(ctx, newResolver(opts.Resolver, transport), record, spec.Target)
	if err != nil {
		return failure("", withServer(err, opts.Resolver))
	}
	slices.Sort(answers)
	return checkAnswers(spec.Target, record, answers, opts)
}

// newResolver returns a pure-Go resolver that talks to server (or the
// system's nameserver when empty). Transport "tcp" forces TCP for every
// query; "udp" lets the resolver fall back to TCP on a truncated answer, as
// every stub resolver does, rather than failing a large answer set.
func newResolver(server, transport string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			if server != "" {
				address = server
			}
			if transport == "tcp" {
				network = "tcp"
			}
			var d net.Dialer
			return d.DialContext(ctx, network, address)
		},
	}
}

// lookup resolves name for one record selector and returns every answer.
func lookup(ctx context.Context, r *net.Resolver, record, name string) ([]string, error) {
	switch record {
	case RecordA, RecordAAAA:
		network := "ip4"
		if record == RecordAAAA {
			network = "ip6"
		}
		ips, err := r.LookupNetIP(ctx, network, name)
		answers := make([]string, len(ips))
		for i, ip := range ips {
			answers[i] = ip.Unmap().String()
		}
		return answers, err
	case RecordAnyIP:
		return r.LookupHost(ctx, name)
	case RecordCNAME:
		cname, err := r.LookupCNAME(ctx, name)
		return []string{trimDot(cname)}, err
	case RecordTXT:
		return r.LookupTXT(ctx, name)
	case RecordSRV:
		_, srvs, err := r.LookupSRV(ctx, "", "", name)
		answers := make([]string, len(srvs))
		for i, s := range srvs {
			answers[i] = net.JoinHostPort(trimDot(s.Target), strconv.Itoa(int(s.Port)))
		}
		return answers, err
	}
	return nil, fmt.Errorf("bad dns record %q, want A, AAAA, ANY-IP, CNAME, TXT or SRV", record)
}

// withServer names the configured resolver in a *net.DNSError: Go reports
// the system nameserver there even when Dial went elsewhere.
func withServer(err error, server string) error {
	var de *net.DNSError
	if server == "" || !errors.As(err, &de) {
		return err
	}
	named := *de
	named.Server = server
	return &named
}

// checkAnswers compares the sorted answers with DNSOptions.Answers and
// MinAnswers.
func checkAnswers(name, record string, answers []string, opts *DNSOptions) Result {
	r := Result{Reachable: len(answers) > 0, Cause: CauseOK, Answers: answers}
	got := record + " " + name + ": " + strings.Join(answers, ", ")
	if len(answers) == 0 {
		r.Cause, r.Message = CauseDNS, record+" "+name+": no answers"
		return r
	}
	var missing []string
	for _, want := range opts.Answers {
		if !slices.ContainsFunc(answers, func(a string) bool { return sameAnswer(record, a, want) }) {
			missing = append(missing, want)
		}
	}
	minAnswers := max(opts.MinAnswers, 1)
	switch {
	case len(missing) > 0:
		r.Cause, r.Message = CauseMismatch, got+"; missing "+strings.Join(missing, ", ")
	case distinct(answers) < minAnswers: // a repeated record is one answer
		r.Cause, r.Message = CauseMismatch, fmt.Sprintf("%s; want at least %d answers", got, minAnswers)
	default:
		r.Message = got
	}
	return r
}

// sameAnswer compares IPs by value, names without case or trailing dot and
// TXT exactly.
func sameAnswer(record, got, want string) bool {
	switch record {
	case RecordTXT:
		return got == want
	case RecordCNAME, RecordSRV:
		return strings.EqualFold(trimDot(got), trimDot(want))
	}
	a, errA := netip.ParseAddr(got)
	b, errB := netip.ParseAddr(want)
	if errA != nil || errB != nil {
		return got == want
	}
	return a.Unmap() == b.Unmap()
}

func trimDot(name string) string { return strings.TrimSuffix(name, ".") }

// distinct counts the different answers.
func distinct(answers []string) int {
	sorted := slices.Clone(answers)
	slices.Sort(sorted)
	return len(slices.Compact(sorted))
}
