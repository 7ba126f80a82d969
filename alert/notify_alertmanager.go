package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Alertmanager posts alerts to an Alertmanager's API v2. Alertmanager
// deduplicates by label set, so it gets every firing alert again each
// resend interval and shared alerts from every agent.
type Alertmanager struct {
	url    string
	resend time.Duration
	o      HTTPOptions
}

var (
	_ Notifier     = (*Alertmanager)(nil)
	_ Deduplicator = (*Alertmanager)(nil)
)

// NewAlertmanager returns a notifier posting to base + "/api/v2/alerts".
// Firing alerts are sent with endsAt = now + 4×resend, so they expire in
// Alertmanager only if the agent stops re-sending them.
func NewAlertmanager(base string, resend time.Duration, o HTTPOptions) *Alertmanager {
	return &Alertmanager{url: strings.TrimRight(base, "/") + "/api/v2/alerts",
		resend: orDur(resend, DefaultResendInterval), o: o.withDefaults()}
}

// Name returns "alertmanager".
func (am *Alertmanager) Name() string { return "alertmanager" }

// Deduplicates returns true: Alertmanager merges alerts with equal labels.
func (am *Alertmanager) Deduplicates() bool { return true }

// amAlert is one postable alert of API v2.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify posts alerts in one request. A resolved alert ends when it was
// resolved (an explicit resolve), however late it is delivered.
func (am *Alertmanager) Notify(ctx context.Context, alerts []Alert) error {
	now := am.o.Now()
	out := make([]amAlert, 0, len(alerts))
	for _, a := range alerts {
		l := a.Labels
		if l == nil {
			l = labels(a, "swarmlink")
		}
		ends := now.Add(4 * am.resend)
		if a.Status == StatusResolved {
			ends = a.EndsAt
			if ends.Before(a.StartsAt) {
				ends = a.StartsAt
			}
		}
		out = append(out, amAlert{Labels: l, StartsAt: a.StartsAt, EndsAt: ends, GeneratorURL: a.GeneratorURL,
			Annotations: map[string]string{"summary": a.Summary, "description": a.Description}})
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encoding alertmanager alerts: %w", err)
	}
	if err := am.o.post(ctx, am.url, body, nil); err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	return nil
}
