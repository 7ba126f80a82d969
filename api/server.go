// Package api owns the agent's single HTTP listener: liveness and readiness,
// Prometheus metrics, the read-only JSON API (/api/v1/...) and the web UI.
//
// Every endpoint is read-only. Nothing a client sends can make the agent
// probe a target: the checks come only from the agent's own sources. The
// few write actions (a forced config reload) require the bearer token from
// the agent's config; without one configured they are refused.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
)

// Checks lists the status of every running check.
type Checks interface {
	Checks() []controller.CheckStatus
}

// History answers history queries.
type History interface {
	Query(ctx context.Context, f history.Filter) ([]history.Record, error)
	Transitions(ctx context.Context, f history.Filter) ([]history.Transition, error)
}

// Options wire the server to the rest of the agent.
type Options struct {
	Listen   string
	Checks   Checks
	History  History
	Gatherer prometheus.Gatherer
	Status   func(ctx context.Context) any // the /api/v1/status document
	Ready    func() error                  // nil when ready
	Reload   func() error                  // forced config reload (authenticated)
	Verify   func() (any, error)           // starts a verification run now (authenticated); nil = none
	Token    func() string                 // bearer token for write actions; "" = writes refused
	Extra    map[string]http.Handler       // further read-only routes (mesh, reports, UI)
	// InlineStyles are the CSP hash sources ('sha256-...') of the inline
	// <style> blocks a page may carry; no other inline style or script runs.
	InlineStyles []string
	Log          *zap.Logger
}

// Server is the agent's HTTP server.
type Server struct {
	opts    Options
	log     *zap.Logger
	mux     *http.ServeMux
	handler http.Handler // mux behind the security headers
	ln      net.Listener
}

// New builds the server and its routes; Start serves them.
func New(opts Options) *Server {
	s := &Server{opts: opts, log: opts.Log.With(zap.String("component", "api")), mux: http.NewServeMux()}
	s.routes()
	s.handler = secureHeaders(s.mux, opts.InlineStyles)
	return s
}

// Handler returns the server's handler, security headers included.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n")) // the agent itself is alive; never peer results
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, s.opts.Status(r.Context()))
	})
	s.mux.HandleFunc("GET /api/v1/checks", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]any{"items": redactChecks(s.opts.Checks.Checks())})
	})
	s.mux.HandleFunc("GET /api/v1/history", s.history)
	s.mux.HandleFunc("GET /api/v1/outages", s.outages)
	s.mux.HandleFunc("GET /api/v1/rollups", s.rollups)
	s.mux.HandleFunc("POST /api/v1/reload", s.authenticated(s.reload))
	if s.opts.Verify != nil {
		s.mux.HandleFunc("POST /api/v1/verify", s.authenticated(s.verify))
	}
	for pattern, h := range s.opts.Extra {
		s.mux.Handle(pattern, h)
	}
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Write([]byte("ready\n"))
}

func (s *Server) reload(w http.ResponseWriter, _ *http.Request) {
	if err := s.opts.Reload(); err != nil {
		WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"reloaded": false, "error": err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"reloaded": true})
}

// verify starts a verification run: 202 with what started, 409 while one
// is running.
func (s *Server) verify(w http.ResponseWriter, _ *http.Request) {
	started, err := s.opts.Verify()
	if err != nil {
		WriteJSON(w, http.StatusConflict, map[string]any{"started": false, "error": err.Error()})
		return
	}
	WriteJSON(w, http.StatusAccepted, started)
}

// authenticated requires "Authorization: Bearer <token>" matching the
// configured token; without a configured token every write is refused.
func (s *Server) authenticated(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if s.opts.Token != nil {
			token = s.opts.Token()
		}
		if token == "" {
			http.Error(w, "write API disabled: no api_token_file configured", http.StatusForbidden)
			return
		}
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+token)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

// Listen binds the listener now, so that callers learn of a taken port at
// once and tests can use ":0".
func (s *Server) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Start serves until ctx is done, then shuts down within 5 s.
func (s *Server) Start(ctx context.Context) error {
	if s.ln == nil {
		if _, err := s.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	s.log.Info("serving", zap.String("addr", s.ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// WriteJSON writes v as indented JSON with status code; other handlers of
// the agent's listener use it too, so every endpoint answers alike. A nil
// slice, as v or as a value of a map[string]any (the {"items": ...} of list
// endpoints), is written as [], never null: an empty list is still a list.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(emptyLists(v)) // the client went away; nothing to do
}

func emptyLists(v any) any {
	if m, ok := v.(map[string]any); ok {
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[k] = emptyList(e)
		}
		return out
	}
	return emptyList(v)
}

// emptyList returns an empty slice of v's type when v is a nil slice.
func emptyList(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.IsNil() {
		return reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	return v
}
