package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Webhook headers.
const (
	HeaderSignature = "X-Swarmlink-Signature" // "sha256=" + hex HMAC-SHA256 of timestamp + "." + body
	HeaderTimestamp = "X-Swarmlink-Timestamp" // unix seconds
)

// WebhookPayload is the JSON body a webhook receives.
type WebhookPayload struct {
	Version string  `json:"version"` // "1"
	Sender  string  `json:"sender"`  // the agent that sent it
	Alerts  []Alert `json:"alerts"`  // status "firing" (once per alert lifetime) or "resolved"
}

// Webhook posts WebhookPayload signed with HMAC-SHA256. It gets one firing
// and one resolved message per alert lifetime.
type Webhook struct {
	name, url, keyFile string
	o                  HTTPOptions
}

var _ Notifier = (*Webhook)(nil)

// NewWebhook returns a webhook notifier named "webhook/"+name. The key is
// read from keyFile (trailing white space trimmed) at every send, so it can
// be rotated without a restart.
func NewWebhook(name, url, keyFile string, o HTTPOptions) *Webhook {
	return &Webhook{name: "webhook/" + name, url: url, keyFile: keyFile, o: o.withDefaults()}
}

// Name returns "webhook/<name>".
func (w *Webhook) Name() string { return w.name }

// Notify posts all alerts in one signed request.
func (w *Webhook) Notify(ctx context.Context, alerts []Alert) error {
	key, err := os.ReadFile(w.keyFile)
	if err != nil {
		return fmt.Errorf("%s: reading key: %w", w.name, err)
	}
	key = bytes.TrimSpace(key)
	if len(key) == 0 {
		return fmt.Errorf("%s: key file %s is empty", w.name, w.keyFile)
	}
	p := WebhookPayload{Version: "1", Alerts: alerts}
	if len(alerts) > 0 {
		p.Sender = alerts[0].Reporter
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", w.name, err)
	}
	ts := strconv.FormatInt(w.o.Now().Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(key, ts, body))
	if err := w.o.post(ctx, w.url, body, h); err != nil {
		return fmt.Errorf("%s: %w", w.name, err)
	}
	return nil
}

// Sign returns the X-Swarmlink-Signature value for body sent at timestamp.
func Sign(key []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrBadSignature is returned by VerifySignature for a signature that does
// not match.
var ErrBadSignature = errors.New("webhook signature does not match")

// VerifySignature checks a received webhook, for receivers written in Go.
// It compares in constant time; checking the timestamp's age is the
// receiver's business.
func VerifySignature(key []byte, timestamp string, body []byte, signature string) error {
	if !strings.HasPrefix(signature, "sha256=") {
		return fmt.Errorf("signature %q: expected sha256=<hex>: %w", signature, ErrBadSignature)
	}
	if !hmac.Equal([]byte(Sign(key, timestamp, body)), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}
