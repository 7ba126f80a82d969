package scale

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/swarmlink/swarmlink/alert"
)

// Hook is the harness's signed webhook receiver on the bridge. It keeps every
// alert it was sent, with the time it arrived. Safe for concurrent use.
type Hook struct {
	mu     sync.Mutex
	got    []Received
	badSig int
	srv    *http.Server
}

// Received is one alert as the receiver got it.
type Received struct {
	At     time.Time   `json:"at"`
	Sender string      `json:"sender"`
	Alert  alert.Alert `json:"alert"`
}

// StartHook listens at BridgeAddr:HookPort in the root namespace, where every
// node reaches it over the bridge. It serves until Close.
func StartHook() (*Hook, error) {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(BridgeAddr, "9095"))
	if err != nil {
		return nil, err
	}
	h := &Hook{}
	h.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.serve(bytes.TrimSpace(key), w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := h.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return h, nil
}

func (h *Hook) serve(key []byte, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if alert.VerifySignature(key, r.Header.Get(alert.HeaderTimestamp), body, r.Header.Get(alert.HeaderSignature)) != nil {
		h.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p alert.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, a := range p.Alerts {
		h.got = append(h.got, Received{At: now, Sender: p.Sender, Alert: a})
	}
}

// Received returns a copy of every alert so far, and the bad signatures.
func (h *Hook) Received() ([]Received, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Received(nil), h.got...), h.badSig
}

// Close stops the receiver within 2 s.
func (h *Hook) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}
