package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Slack posts to a Slack-compatible incoming webhook ({"text": ...}). It
// gets one firing and one resolved message per alert lifetime.
type Slack struct {
	name, url string
	o         HTTPOptions
}

var _ Notifier = (*Slack)(nil)

// SlackPayload is the JSON body a Slack webhook receives.
type SlackPayload struct {
	Text string `json:"text"`
}

// NewSlack returns a Slack notifier named "slack/"+name.
func NewSlack(name, url string, o HTTPOptions) *Slack {
	return &Slack{name: "slack/" + name, url: url, o: o.withDefaults()}
}

// Name returns "slack/<name>".
func (s *Slack) Name() string { return s.name }

// Notify posts one message with one status line per alert.
func (s *Slack) Notify(ctx context.Context, alerts []Alert) error {
	body, err := json.Marshal(SlackPayload{Text: SlackText(alerts)})
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", s.name, err)
	}
	if err := s.o.post(ctx, s.url, body, nil); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// SlackText renders alerts as plain status lines, e.g.
// "[FIRING] SwarmlinkLinkDown node-a -> node-b (overlay, cause timeout): link ... is down".
func SlackText(alerts []Alert) string {
	lines := make([]string, 0, len(alerts))
	for _, a := range alerts {
		line := fmt.Sprintf("[%s] %s %s -> %s (%s, cause %s): %s", strings.ToUpper(a.Status), a.Name,
			a.Source, a.Destination, a.Path, a.Cause, a.Summary)
		if a.Status == StatusResolved && !a.StartsAt.IsZero() {
			line += fmt.Sprintf(" (lasted %s)", a.EndsAt.Sub(a.StartsAt).Round(time.Second))
		}
		if a.GeneratorURL != "" {
			line += " <" + a.GeneratorURL + ">"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
