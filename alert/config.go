package alert

import (
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/swarmlink/swarmlink/internal/redact"
)

// Config is the alerting section of the agent configuration (embedded by
// the main config as `alerting:`). Zero values mean the default; see
// ApplyDefaults.
type Config struct {
	Enabled        bool          `yaml:"enabled" json:"enabled"`                 // the agent runs the engine only when true
	FailingAfter   int           `yaml:"failing_after" json:"failing_after"`     // F: failing after F of the last N results failed; default 3
	Window         int           `yaml:"window" json:"window"`                   // N; default 5
	RecoverAfter   int           `yaml:"recover_after" json:"recover_after"`     // R: healthy after R consecutive successes; default 2
	Grace          time.Duration `yaml:"grace" json:"grace"`                     // nothing fires before this long after start; default 60s
	Settle         time.Duration `yaml:"settle" json:"settle"`                   // a new finding must hold this long, and in fresh views of every node, before it fires; default 0 (one gathering of the views)
	ResendInterval time.Duration `yaml:"resend_interval" json:"resend_interval"` // Alertmanager re-sends of firing alerts; default 1m
	Evaluators     int           `yaml:"evaluators" json:"evaluators"`           // agents that evaluate the cluster's alerts (the first by name whose views arrived); default 3

	DegradedLossPercent float64 `yaml:"degraded_loss_percent" json:"degraded_loss_percent"` // a link losing this much (mean over the window) is degraded; default 10
	LossPercent         float64 `yaml:"loss_percent" json:"loss_percent"`                   // a loss finding alerts from this much on; default 20
	ExternalURL         string  `yaml:"external_url" json:"external_url"`                   // the agent's UI, for generatorURL and links
	Rules               []Rule  `yaml:"rules" json:"rules"`

	Alertmanager *AlertmanagerConfig `yaml:"alertmanager" json:"alertmanager,omitempty"`
	Webhooks     []WebhookConfig     `yaml:"webhooks" json:"webhooks,omitempty"`
	Slack        []SlackConfig       `yaml:"slack" json:"slack,omitempty"`
}

// Rule overrides the hysteresis for the links it matches. An empty Path or
// Probe matches any; the first matching rule wins; zero numbers inherit the
// section's values.
type Rule struct {
	Path         string `yaml:"path" json:"path,omitempty"`
	Probe        string `yaml:"probe" json:"probe,omitempty"`
	FailingAfter int    `yaml:"failing_after" json:"failing_after,omitempty"`
	Window       int    `yaml:"window" json:"window,omitempty"`
	RecoverAfter int    `yaml:"recover_after" json:"recover_after,omitempty"`
}

// AlertmanagerConfig points at an Alertmanager (API v2).
type AlertmanagerConfig struct {
	URL     string        `yaml:"url" json:"url"`         // e.g. http://alertmanager:9093
	Timeout time.Duration `yaml:"timeout" json:"timeout"` // per request; default 10s
}

// WebhookConfig is a generic JSON webhook signed with HMAC-SHA256.
type WebhookConfig struct {
	Name    string `yaml:"name" json:"name"`
	URL     string `yaml:"url" json:"url"`
	KeyFile string `yaml:"key_file" json:"key_file"` // HMAC key; read at every send, so it can be rotated
}

// SlackConfig is a Slack-compatible incoming webhook.
type SlackConfig struct {
	Name string `yaml:"name" json:"name"`
	URL  string `yaml:"url" json:"url"`
}

// Hysteresis is the resolved F/N/R triple for one link.
type Hysteresis struct {
	FailingAfter, Window, RecoverAfter int
}

// Defaults of the alerting section.
const (
	DefaultFailingAfter   = 3
	DefaultWindow         = 5
	DefaultRecoverAfter   = 2
	DefaultGrace          = 60 * time.Second
	DefaultSettle         = 0
	DefaultDegradedLoss   = 10.0
	DefaultLoss           = 20.0
	DefaultResendInterval = time.Minute
	DefaultTimeout        = 10 * time.Second
	DefaultEvaluators     = 3

	MaxDelay   = 24 * time.Hour  // grace, settle and resend_interval
	MaxTimeout = 5 * time.Minute // alertmanager.timeout
)

// ApplyDefaults fills every zero value with its default. Rules keep their
// zeros: they inherit at lookup (see For).
func (c *Config) ApplyDefaults() {
	c.FailingAfter = orInt(c.FailingAfter, DefaultFailingAfter)
	c.Window = orInt(c.Window, DefaultWindow)
	c.RecoverAfter = orInt(c.RecoverAfter, DefaultRecoverAfter)
	c.Grace = orDur(c.Grace, DefaultGrace)
	c.Settle = orDur(c.Settle, DefaultSettle)
	if c.DegradedLossPercent == 0 {
		c.DegradedLossPercent = DefaultDegradedLoss
	}
	if c.LossPercent == 0 {
		c.LossPercent = DefaultLoss
	}
	c.ResendInterval = orDur(c.ResendInterval, DefaultResendInterval)
	c.Evaluators = orInt(c.Evaluators, DefaultEvaluators)
	if c.Alertmanager != nil {
		c.Alertmanager.Timeout = orDur(c.Alertmanager.Timeout, DefaultTimeout)
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Validate reports every invalid value through errf, with path relative to
// the alerting section (e.g. "alertmanager.url", "rules[1].window"). Call it
// after ApplyDefaults.
func (c *Config) Validate(errf func(path, format string, args ...any)) {
	validateHysteresis(errf, "", Hysteresis{c.FailingAfter, c.Window, c.RecoverAfter})
	durationUpTo(errf, "grace", c.Grace, MaxDelay)
	durationUpTo(errf, "settle", c.Settle, MaxDelay)
	durationUpTo(errf, "resend_interval", c.ResendInterval, MaxDelay)
	percent(errf, "degraded_loss_percent", c.DegradedLossPercent)
	if c.Evaluators < 1 {
		errf("evaluators", "must be at least 1, got %d", c.Evaluators)
	}
	percent(errf, "loss_percent", c.LossPercent)
	if c.ExternalURL != "" {
		validURL(errf, "external_url", c.ExternalURL)
	}
	for i, r := range c.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if r.Path == "" && r.Probe == "" {
			errf(p, "rule matches every link: set path, probe or both")
		}
		validateHysteresis(errf, p+".", c.For(r.Path, r.Probe))
	}
	if am := c.Alertmanager; am != nil {
		validURL(errf, "alertmanager.url", am.URL)
		durationUpTo(errf, "alertmanager.timeout", am.Timeout, MaxTimeout)
	}
	names := map[string]string{}
	for i, w := range c.Webhooks {
		p := fmt.Sprintf("webhooks[%d]", i)
		uniqueName(errf, names, p, w.Name)
		validURL(errf, p+".url", w.URL)
		if w.KeyFile == "" {
			errf(p+".key_file", "missing key file: webhooks are always signed")
		}
	}
	for i, s := range c.Slack {
		p := fmt.Sprintf("slack[%d]", i)
		uniqueName(errf, names, p, s.Name)
		validURL(errf, p+".url", s.URL)
	}
}

// For returns the hysteresis for a link on path running probe: the first
// matching rule's values, falling back to the section's for zero fields.
func (c *Config) For(path, probe string) Hysteresis {
	h := Hysteresis{c.FailingAfter, c.Window, c.RecoverAfter}
	for _, r := range c.Rules {
		if (r.Path == "" || r.Path == path) && (r.Probe == "" || r.Probe == probe) {
			h.FailingAfter = orInt(r.FailingAfter, h.FailingAfter)
			h.Window = orInt(r.Window, h.Window)
			h.RecoverAfter = orInt(r.RecoverAfter, h.RecoverAfter)
			break
		}
	}
	return h
}

func validateHysteresis(errf func(string, string, ...any), prefix string, h Hysteresis) {
	if h.Window < 1 || h.Window > 100 {
		errf(prefix+"window", "invalid value %d: expected 1 to 100 results", h.Window)
	}
	if h.FailingAfter < 1 || h.FailingAfter > h.Window {
		errf(prefix+"failing_after", "invalid value %d: expected 1 to window (%d)", h.FailingAfter, h.Window)
	}
	if h.RecoverAfter < 1 || h.RecoverAfter > 100 {
		errf(prefix+"recover_after", "invalid value %d: expected 1 to 100", h.RecoverAfter)
	}
}

func uniqueName(errf func(string, string, ...any), seen map[string]string, path, name string) {
	if !nameRE.MatchString(name) {
		errf(path+".name", "invalid name %q: expected 1-63 characters of letters, digits, '_', '.', '-'", name)
		return
	}
	if prev, dup := seen[name]; dup {
		errf(path+".name", "duplicate notifier name %q (also %s)", name, prev)
	}
	seen[name] = path
}

func validURL(errf func(string, string, ...any), path, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is quoted redacted: the error reaches logs and the status API.
		errf(path, "invalid URL %q: expected http:// or https:// with a host", redact.URL(s))
	}
}

// durationUpTo checks 0 <= d <= most.
func durationUpTo(errf func(string, string, ...any), path string, d, most time.Duration) {
	switch {
	case d < 0:
		errf(path, "invalid duration %s: must not be negative", d)
	case d > most:
		errf(path, "duration %s is above the maximum %s", d, most)
	}
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orDur(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func percent(errf func(string, string, ...any), path string, v float64) {
	if v <= 0 || v > 100 {
		errf(path, "invalid value %g: expected a percentage above 0, at most 100", v)
	}
}
