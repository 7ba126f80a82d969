package probes

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	// maxRedirects is how many redirects an HTTP probe follows; the response
	// after that is judged as it is (a 3xx fails the default 2xx check).
	maxRedirects = 5
	// maxHTTPBody bounds how much of a body is read for body checks.
	maxHTTPBody = 1 << 20
)

// HTTP probes an HTTP(S) URL given as Target. Every probe builds its own
// transport with keep-alive off, so every probe exercises connect (and the
// TLS handshake) instead of reusing a pooled connection. Proxies from the
// environment are ignored: a probe checks the direct path. The target is
// Reachable when a response arrived or a TLS handshake failed (something
// did answer on the port). HTTP is stateless and safe for concurrent use.
type HTTP struct{}

var _ Prober = (*HTTP)(nil)

// Probe runs one HTTP check.
func (*HTTP) Probe(ctx context.Context, spec Spec) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	opts := spec.HTTP
	if opts == nil {
		opts = &HTTPOptions{}
	}
	var bodyRE *regexp.Regexp
	if opts.BodyRegexp != "" {
		var err error
		if bodyRE, err = regexp.Compile(opts.BodyRegexp); err != nil {
			return Result{Cause: CauseError, Message: "bad body_regexp: " + err.Error()}
		}
	}
	method := cmp.Or(opts.Method, http.MethodGet)
	op := method + " " + spec.Target
	req, err := newHTTPRequest(ctx, method, spec.Target, opts.Headers)
	if err != nil {
		return failure(op, err)
	}
	client, transport := newHTTPClient(opts.TLSSkipVerify)
	defer transport.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		r := failure(op, err)
		r.Reachable = r.Cause == CauseTLS
		return r
	}
	defer resp.Body.Close()
	return checkHTTPResponse(resp, op, opts, bodyRE)
}

func newHTTPRequest(ctx context.Context, method, url string, headers map[string]string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v // the Host header lives in req.Host, not req.Header
			continue
		}
		req.Header.Set(k, v)
	}
	return req, nil
}

// newHTTPClient returns a client on a fresh, keep-alive-less transport; the
// caller closes the transport's idle connections when done.
func newHTTPClient(skipVerify bool) (*http.Client, *http.Transport) {
	transport := &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{}).DialContext,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: skipVerify}, //nolint:gosec // opt-in per probe
	}
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return client, transport
}

// checkHTTPResponse judges status, then body. The body is read only when a
// body check needs it.
func checkHTTPResponse(resp *http.Response, op string, opts *HTTPOptions, bodyRE *regexp.Regexp) Result {
	r := Result{Reachable: true, Status: resp.StatusCode}
	if !statusAccepted(resp.StatusCode, opts.Status) {
		r.Cause = CauseMismatch
		r.Message = fmt.Sprintf("%s: status %d, want %s", op, resp.StatusCode, wantStatus(opts.Status))
		return r
	}
	if opts.BodyContains != "" || bodyRE != nil {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
		if err != nil {
			return reachableFailureStatus(op+": reading body", err, resp.StatusCode)
		}
		if opts.BodyContains != "" && !strings.Contains(string(body), opts.BodyContains) {
			r.Cause = CauseMismatch
			r.Message = fmt.Sprintf("%s: body does not contain %q", op, opts.BodyContains)
			return r
		}
		if bodyRE != nil && !bodyRE.Match(body) {
			r.Cause = CauseMismatch
			r.Message = fmt.Sprintf("%s: body does not match /%s/", op, bodyRE)
			return r
		}
	}
	r.Cause = CauseOK
	r.Message = fmt.Sprintf("%s: status %d", op, resp.StatusCode)
	return r
}

func reachableFailureStatus(op string, err error, status int) Result {
	r := reachableFailure(op, err)
	r.Status = status
	return r
}

func statusAccepted(code int, accepted []int) bool {
	if len(accepted) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(accepted, code)
}

func wantStatus(accepted []int) string {
	if len(accepted) == 0 {
		return "2xx"
	}
	s := make([]string, len(accepted))
	for i, c := range accepted {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, "|")
}
