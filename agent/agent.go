// Package agent wires one swarmlink agent together: config and its watcher,
// the history store, the controller and its sources, the metrics, the HTTP
// API and UI. Each part is a Start(ctx) error run under one errgroup, so the
// first fatal error stops the rest.
package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/report"
	"github.com/swarmlink/swarmlink/telemetry"
	"github.com/swarmlink/swarmlink/ui"
)

// Options are the agent's command-line inputs.
type Options struct {
	ConfigPath string // "" = the embedded default
	Listen     string // overrides agent.listen
	DataDir    string // overrides agent.data_dir
	Version    string
	Revision   string // the commit built; "" = read the toolchain's VCS stamp
	Log        *zap.Logger
	Hup        <-chan os.Signal // forced config reloads (SIGHUP)
}

// Agent is one running swarmlink agent.
type Agent struct {
	opts    Options
	log     *zap.Logger
	reg     *prometheus.Registry
	cfg     *config.Config
	watcher *config.Watcher
	store   *history.Store
	ctrl    *controller.Controller
	server  *api.Server
	mesh    *meshPart     // nil when the mesh is off
	swarm   *swarmPart    // nil when the swarm section is off
	alerts  *alert.Engine // nil when alerting is off
	tracker *links.Tracker
	views   *gatherer // nil when the mesh is off
	sink    controller.MultiSink
	// notifiers also get the verification reports' summaries.
	notifiers  []alert.Notifier
	started    time.Time
	verifying  atomic.Bool // an on-demand verification runs
	diag       diagCache
	relay      relayed    // an evaluator's diagnosis relayed to clients (diagrelay.go)
	diagServed servedDiag // this agent's diagnosis as served to peers that relay it
	ctx        atomic.Pointer[context.Context]
}

// runCtx is the context Start runs under (Background before Start).
func (a *Agent) runCtx() context.Context {
	if c := a.ctx.Load(); c != nil {
		return *c
	}
	return context.Background()
}

// New loads the config and opens the store; Start runs everything.
func New(opts Options) (*Agent, error) {
	a := &Agent{opts: opts, log: opts.Log, reg: prometheus.NewRegistry(), started: time.Now()}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	telemetry.RegisterBuildInfo(a.reg, telemetry.ReadBuild(opts.Version, opts.Revision))
	if err := a.loadConfig(); err != nil {
		return nil, err
	}
	if err := a.openStore(); err != nil {
		return nil, err
	}
	a.reg.MustRegister(newStoreCollector(a.store))
	sources, registry, err := a.sources()
	if err != nil {
		a.store.Close()
		return nil, err
	}
	a.tracker = newTracker(a.cfg.Alerting, a.linkChanged)
	a.sink = controller.MultiSink{historySink{store: a.store, log: a.log, host: a.hostEvidence}, telemetry.NewWith(a.reg, telemetry.Options{PerCheckHistograms: a.cfg.Agent.PerCheckHistograms}), trackerSink{a.tracker}}
	if a.mesh != nil {
		a.views = newGatherer(a)
		a.mesh.sink = retiringSink{a: a, sinks: append(controller.MultiSink{mtuSink{a.mesh.mtu}}, a.sink...)}
		a.mesh.largeFailing = a.largeFailing
		a.mesh.pauseInbound = func(peer string) { a.tracker.Pause(peer, links.Inbound, true) }
		a.mesh.source.SetPlanned(a.views.planned)
		a.mesh.source.SetFollowUp(func() map[string]bool { return a.tracker.Troubled(links.Outbound) })
		if a.swarm != nil {
			a.swarm.relay.fetch = a.fetchSwarm
		}
	}
	if a.alerts, a.notifiers, err = a.newAlerting(); err != nil {
		a.store.Close()
		return nil, fmt.Errorf("alerting: %w", err)
	}
	a.ctrl = controller.New(controller.Options{
		Sources: sources, Probers: registry,
		Sink: retiringSink{a: a, sinks: a.sink}, Log: a.log, Registerer: a.reg, Resync: a.cfg.Agent.ResyncInterval,
	})
	if a.opts.ConfigPath != "" {
		a.watcher = config.NewWatcher(a.opts.ConfigPath, a.cfg, a.log, a.reg, a.reloaded)
	}
	a.server = a.newServer()
	return a, nil
}

// sources builds the controller's sources and probers: the config file,
// the Docker API's labels and swarm checks when on, and the peer mesh when
// enabled.
func (a *Agent) sources() ([]controller.Source, probes.Registry, error) {
	sources := []controller.Source{config.Source{Current: a.current}}
	registry := probes.Default()
	if a.swarm = newSwarmPart(context.Background(), a); a.swarm != nil {
		sources = append(sources, a.swarm.sources()...)
		a.swarm.register(registry)
	}
	if !a.cfg.Mesh.Enabled {
		return sources, registry, nil
	}
	d, err := dialDocker()
	if err != nil {
		return nil, nil, err
	}
	var api dockerAPI
	if d != nil {
		api = d
	}
	a.mesh, err = newMeshPart(context.Background(), a, api)
	if err != nil {
		return nil, nil, fmt.Errorf("mesh: %w", err)
	}
	a.mesh.register(registry)
	return append(sources, a.mesh.source), registry, nil
}

func (a *Agent) loadConfig() error {
	if a.opts.ConfigPath == "" {
		a.cfg = config.Default(a.opts.Listen)
		a.log.Info("no config file given: running the embedded default", zap.Int("probes", len(a.cfg.Probes)))
	} else {
		c, err := config.Load(a.opts.ConfigPath)
		if err != nil {
			return err
		}
		a.cfg = c
	}
	if a.opts.Listen != "" {
		a.cfg.Agent.Listen = a.opts.Listen
	}
	if a.opts.DataDir != "" {
		a.cfg.Agent.DataDir = a.opts.DataDir
	}
	return nil
}

func (a *Agent) openStore() error {
	path := filepath.Join(a.cfg.Agent.DataDir, "history.db")
	s, err := history.Open(path, history.Options{Retention: a.cfg.History.Retention, RawRetention: a.cfg.History.RawRetention,
		FlushInterval: a.cfg.History.FlushInterval}, a.log.With(zap.String("component", "history")))
	if err != nil {
		return fmt.Errorf("opening history store %s: %w", path, err)
	}
	a.store = s
	return nil
}

// current is the config in force (reloaded live when a file is watched).
func (a *Agent) current() *config.Config {
	if a.watcher != nil {
		return a.watcher.Current()
	}
	return a.cfg
}

func (a *Agent) newServer() *api.Server {
	return api.New(api.Options{
		Listen: a.cfg.Agent.Listen, Checks: a.ctrl, History: a.store, Gatherer: a.reg,
		Status: a.status, Reload: a.reload, Verify: a.verifyNow, Ready: a.ready, Token: a.token, Log: a.log,
		InlineStyles: []string{report.StyleHash},
		Extra: map[string]http.Handler{"GET /{$}": ui.Handler(), "GET " + ui.AssetsPrefix: ui.Assets(),
			"GET /api/v1/links":        http.HandlerFunc(a.linksHandler),
			"GET /api/v1/matrix":       http.HandlerFunc(a.matrixHandler),
			"GET /api/v1/alerts":       http.HandlerFunc(a.alertsHandler),
			"GET /api/v1/config":       http.HandlerFunc(a.configHandler),
			"GET /api/v1/reports":      http.HandlerFunc(a.reportsHandler),
			"GET /api/v1/reports/{id}": http.HandlerFunc(a.reportHandler)},
	})
}

// reloaded reconciles the checks of a new config at once. Every section
// built at start (see liveOnReload) that now differs from the config the
// agent started with is logged as needing a restart and listed in the
// reload status (pending_restart).
func (a *Agent) reloaded(c *config.Config) {
	a.ctrl.Trigger()
	pending := a.restartSections(c)
	for _, section := range pending {
		a.log.Warn("config section changed; it takes effect at the next restart", zap.String("section", section))
	}
	a.watcher.SetPendingRestart(pending)
}

func (a *Agent) ready() error {
	if !a.ctrl.Synced() {
		return errors.New("controller has not reconciled yet")
	}
	return nil
}

func (a *Agent) reload() error {
	if a.watcher == nil {
		return errors.New("running the embedded default: there is no config file to reload")
	}
	return a.watcher.Reload(true)
}

func (a *Agent) token() string {
	f := a.current().Agent.APITokenFile
	if f == "" {
		return ""
	}
	b, err := os.ReadFile(f)
	if err != nil {
		a.log.Warn("reading api token file", zap.String("file", f), zap.Error(err))
		return ""
	}
	return string(trimSpace(b))
}

// Start runs every part until ctx is done or one fails, then closes the store.
func (a *Agent) Start(ctx context.Context) error {
	addr, err := a.server.Listen()
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.Agent.Listen, err)
	}
	a.log.Info("agent started", zap.String("name", a.cfg.Agent.Name), zap.String("listen", addr.String()),
		zap.String("config", a.cfg.File), zap.String("data_dir", a.cfg.Agent.DataDir))
	g, gctx := errgroup.WithContext(ctx)
	a.ctx.Store(&gctx)
	g.Go(func() error { return a.store.Start(gctx) })
	g.Go(func() error { return a.ctrl.Start(gctx) })
	g.Go(func() error { return a.server.Start(gctx) })
	g.Go(func() error { return a.ctrl.RunNamed(gctx, a.namedRuns()) })
	if a.watcher != nil {
		g.Go(func() error { return a.watcher.Start(gctx, a.opts.Hup) })
	}
	if a.mesh != nil {
		g.Go(func() error { return a.mesh.Start(gctx, a.ctrl) })
		g.Go(func() error { return a.views.Start(gctx) })
	}
	if a.alerts != nil {
		g.Go(func() error { return a.alerts.Start(gctx) })
	}
	if a.swarm != nil {
		g.Go(func() error { return a.swarm.Start(gctx, a.ctrl) })
	}
	err = g.Wait()
	if cerr := a.store.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing history store: %w", cerr)
	}
	return err
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
