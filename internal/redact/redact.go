// Package redact owns how swarmlink hides secrets in what it shows: URLs
// (Slack and webhook URLs carry their secret in the path, others a password
// or a token in the userinfo or the query) in logs, in error texts, in the
// API's status and config views.
//
// Nothing here is a proof of secrecy: it removes the secrets it is told about
// and the parts of URLs that usually hold them. A secret shorter than
// MinSecret bytes that is not part of a URL is left alone, because replacing
// every "ab" of a text hides nothing and garbles everything.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mark replaces every secret.
const Mark = "REDACTED"

// MinSecret is the shortest path segment or query value Scrubber removes
// outside of a whole URL; passwords are removed whatever their length.
const MinSecret = 4

// URL returns raw with its password, its query values, its fragment and every
// path segment after the first replaced by Mark, so that
// https://hooks.slack.com/services/T0/B0/XXX becomes
// https://hooks.slack.com/services/REDACTED. The scheme, user name, host and
// first path segment stay: they tell an operator which receiver failed. A
// string that does not parse as a URL is replaced whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mark
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Mark)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{Mark}
		}
		u.RawQuery = q.Encode()
	}
	if u.Fragment != "" || u.RawFragment != "" {
		u.Fragment, u.RawFragment = Mark, ""
	}
	u.Path, u.RawPath = redactPath(u.Path), ""
	u.Opaque = redactPath(u.Opaque)
	return u.String()
}

// redactPath keeps the first segment of p and replaces the rest.
func redactPath(p string) string {
	lead := strings.HasPrefix(p, "/")
	segs := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)
	if len(segs) < 2 || segs[1] == "" {
		return p
	}
	if lead {
		return "/" + segs[0] + "/" + Mark
	}
	return segs[0] + "/" + Mark
}

// urlSecrets returns the parts of raw that URL removes, in the forms they can
// appear in an error text: decoded and escaped.
func urlSecrets(raw string) (secrets, always []string) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, []string{raw}
	}
	if pw, has := u.User.Password(); has {
		always = append(always, pw, url.QueryEscape(pw), url.PathEscape(pw))
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			secrets = append(secrets, v, url.QueryEscape(v))
		}
	}
	for _, p := range []string{u.Path, u.EscapedPath()} {
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if len(segs) > 1 {
			secrets = append(secrets, segs[1:]...)
		}
	}
	if u.Fragment != "" {
		secrets = append(secrets, u.Fragment)
	}
	return secrets, always
}

// Scrubber replaces known secrets in texts: whole URLs by their URL form,
// and their secret parts (and any other secret given) by Mark. It is
// immutable and safe for concurrent use; the zero value scrubs nothing.
type Scrubber struct {
	r *strings.Replacer
}

// NewScrubber returns a Scrubber for the given URLs and plain secrets (such
// as a bearer token). Empty strings are ignored.
func NewScrubber(urls []string, secrets ...string) Scrubber {
	var pairs [][2]string
	add := func(old, new string) {
		if old != "" && old != new {
			pairs = append(pairs, [2]string{old, new})
		}
	}
	for _, raw := range urls {
		add(raw, URL(raw))
		if u, err := url.Parse(raw); err == nil {
			add(u.String(), URL(raw))
			add(u.Redacted(), URL(raw)) // net/http's errors show the password as ***
			add(strings.Replace(u.Redacted(), "xxxxx", "***", 1), URL(raw))
		}
		parts, always := urlSecrets(raw)
		for _, s := range always {
			add(s, Mark)
		}
		secrets = append(secrets, parts...)
	}
	for _, s := range secrets {
		if len(s) >= MinSecret && s != Mark {
			add(s, Mark)
		}
	}
	if len(pairs) == 0 {
		return Scrubber{}
	}
	// strings.Replacer tries the old strings in argument order at each
	// position: longest first, so a whole URL wins over its parts.
	slices.SortStableFunc(pairs, func(a, b [2]string) int { return len(b[0]) - len(a[0]) })
	flat := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		flat = append(flat, p[0], p[1])
	}
	return Scrubber{r: strings.NewReplacer(flat...)}
}

// String returns s with every known secret replaced.
func (s Scrubber) String(text string) string {
	if s.r == nil {
		return text
	}
	return s.r.Replace(text)
}

// Error returns err with a scrubbed message. It still unwraps to err, so
// errors.Is and errors.As keep working; a *url.Error in the chain has its
// URL redacted in place first, since such an error is made for the caller
// (net/http builds a new one per request) and would otherwise hand the full
// URL to anyone who unwraps it. nil stays nil.
func (s Scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = URL(ue.URL)
	}
	return &scrubbed{msg: s.String(err.Error()), err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// urlInText matches what looks like an absolute URL inside free text.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// URLsIn returns text with every URL found in it replaced by its URL form,
// for texts that may quote a URL nobody registered as a secret (such as a
// config file's validation errors). A URL's closing punctuation (".,;:)")
// stays outside it.
func URLsIn(text string) string {
	return urlInText.ReplaceAllStringFunc(text, func(m string) string {
		trimmed := strings.TrimRight(m, ".,;:)]}")
		return URL(trimmed) + m[len(trimmed):]
	})
}

// Password returns raw with only its userinfo password replaced by Mark, for
// URLs whose path and query are worth showing (a probe's target). A string
// that is not a URL with a password is returned unchanged.
func Password(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	u.User = url.UserPassword(u.User.Username(), Mark)
	return u.String()
}

// sensitiveHeader matches the names of request headers that carry
// credentials.
var sensitiveHeader = regexp.MustCompile(`(?i)^(authorization|proxy-authorization|cookie)$|auth|token|secret|key|password|session`)

// Header returns value, or Mark when the header called name carries a
// credential (Authorization, Cookie, X-Api-Key, anything with "token",
// "secret", "auth", "key", "password" or "session" in its name).
func Header(name, value string) string {
	if sensitiveHeader.MatchString(name) {
		return Mark
	}
	return value
}

// passwordInText matches a URL's user:password@ inside free text.
var passwordInText = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:"'<>]*):([^\s/@"'<>]+)@`)

// PasswordsIn returns text with the password of every URL in it replaced by
// Mark (a probe's failure message may quote its target).
func PasswordsIn(text string) string {
	return passwordInText.ReplaceAllString(text, "${1}:"+Mark+"@")
}
