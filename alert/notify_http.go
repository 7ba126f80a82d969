package alert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/swarmlink/swarmlink/internal/redact"
)

// HTTPOptions are what every HTTP notifier shares. Zero values mean the
// defaults: http.DefaultClient, DefaultTimeout and time.Now.
type HTTPOptions struct {
	Client  *http.Client
	Timeout time.Duration // per request
	Now     func() time.Time
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	o.Timeout = orDur(o.Timeout, DefaultTimeout)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// StatusError is a receiver's answer other than 2xx.
type StatusError struct {
	URL  string // redacted (redact.URL): webhook paths, queries and passwords hold secrets
	Code int
	Body string // the start of the answer, with the URL's secrets scrubbed
}

// Error describes the answer.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.URL, e.Code, e.Body)
}

// post sends body as JSON and fails on anything but a 2xx answer. Every
// error it returns has target's secrets scrubbed (see redact.Scrubber):
// net/http's *url.Error carries the whole URL, and the engine logs every
// failed attempt.
func (o HTTPOptions) post(ctx context.Context, target string, body []byte, header http.Header) error {
	s := redact.NewScrubber([]string{target})
	return s.Error(o.send(ctx, target, body, header, s))
}

func (o HTTPOptions) send(ctx context.Context, target string, body []byte, header http.Header, s redact.Scrubber) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building request to %s: %w", redact.URL(target), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "swarmlink-alert")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("posting to %s: %w", redact.URL(target), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode/100 != 2 {
		return &StatusError{URL: redact.URL(target), Code: resp.StatusCode,
			Body: s.String(string(bytes.TrimSpace(answer)))}
	}
	return nil
}

// NewNotifiers builds the notifiers a config asks for: Alertmanager (named
// "alertmanager"), then the webhooks ("webhook/<name>"), then Slack
// ("slack/<name>"). Webhook keys are read at every send.
func NewNotifiers(cfg Config, o HTTPOptions) []Notifier {
	cfg.ApplyDefaults()
	var out []Notifier
	if am := cfg.Alertmanager; am != nil {
		amo := o
		amo.Timeout = am.Timeout
		out = append(out, NewAlertmanager(am.URL, cfg.ResendInterval, amo))
	}
	for _, w := range cfg.Webhooks {
		out = append(out, NewWebhook(w.Name, w.URL, w.KeyFile, o))
	}
	for _, s := range cfg.Slack {
		out = append(out, NewSlack(s.Name, s.URL, o))
	}
	return out
}
