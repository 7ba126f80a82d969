package agent

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/report"
)

// ReportItems converts RunAll outcomes to report items.
func ReportItems(outcomes map[string]controller.Outcome) []report.Item {
	items := make([]report.Item, 0, len(outcomes))
	for key, o := range outcomes {
		items = append(items, report.Item{Key: key, Name: o.Check.Spec.Name, Source: o.Check.Link.Source,
			Destination: o.Check.Link.Destination, Path: o.Check.Link.Path, Kind: string(o.Check.Spec.Kind),
			Passed: o.Result.Passed, Cause: string(o.Result.Cause), Message: o.Result.Message,
			DurationSeconds: o.Result.Duration.Seconds()})
	}
	return items
}

// runAll is a named run: every desired check (user checks and every mesh
// path, large echoes included) once, recorded like any other result, then
// the large-payload ladder on every mesh path, and a stored report with the difference from the previous one, whose summary
// goes to the notifiers.
func (a *Agent) runAll(ctx context.Context, name string) {
	outcomes := a.ctrl.RunAll(ctx)
	for _, o := range outcomes {
		a.sink.Record(ctx, o.Check, o.Result)
	}
	if ctx.Err() != nil {
		return
	}
	kv := a.store.Bucket(report.Bucket)
	var prev *report.Report
	if p, ok, err := report.Latest(kv); err == nil && ok {
		prev = &p
	}
	for key, o := range a.ladder(ctx, outcomes) {
		outcomes[key] = o // in the report only: the ladder is not a scheduled check
	}
	r := report.Build(name, time.Now().UTC(), ReportItems(outcomes), prev)
	if a.mesh != nil {
		if a.views != nil {
			a.views.ensureWhole(ctx)
		}
		d := a.diagnose()
		r.Diagnosis = &d
	}
	if err := report.Save(kv, r); err != nil {
		a.log.Error("saving report", zap.String("run", name), zap.Error(err))
	}
	a.log.Info("verification report", zap.String("run", name), zap.String("summary", r.Summary()))
	a.notifySummary(ctx, r)
}

// notifySummary sends the report's summary to the webhooks and Slack (best
// effort, not queued: the report itself is stored). Alertmanager is for
// alerts, not reports, and gets none.
func (a *Agent) notifySummary(ctx context.Context, r report.Report) {
	for _, n := range a.notifiers {
		if n.Name() == "alertmanager" {
			continue
		}
		msg := alert.Alert{Name: "SwarmlinkVerificationReport", Status: "report", Source: a.cfg.Agent.Name,
			Severity: "info", Summary: r.Summary(), Description: r.Title(), StartsAt: r.At}
		if err := n.Notify(ctx, []alert.Alert{msg}); err != nil {
			a.log.Warn("sending report summary", zap.String("notifier", n.Name()), zap.Error(err))
		}
	}
}

func (a *Agent) reportsHandler(w http.ResponseWriter, _ *http.Request) {
	metas, err := report.List(a.store.Bucket(report.Bucket))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"items": metas})
}

// reportHandler serves one report as JSON (default), Markdown or HTML
// (?format=markdown|html).
func (a *Agent) reportHandler(w http.ResponseWriter, r *http.Request) {
	rep, ok, err := report.Get(a.store.Bucket(report.Bucket), r.PathValue("id"))
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	case !ok:
		http.Error(w, "no such report", http.StatusNotFound)
		return
	}
	switch r.URL.Query().Get("format") {
	case "markdown":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		err = rep.WriteMarkdown(w)
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err = rep.WriteHTML(w)
	default:
		w.Header().Set("Content-Type", "application/json")
		err = rep.WriteJSON(w)
	}
	if err != nil {
		a.log.Debug("writing report", zap.Error(err))
	}
}

// verifyNow starts the "on-demand" verification run (every check once, the
// ladder, a stored report) in the background; one at a time.
func (a *Agent) verifyNow() (any, error) {
	if !a.verifying.CompareAndSwap(false, true) {
		return nil, errors.New("a verification run is already running; its report appears in /api/v1/reports")
	}
	started := time.Now().UTC()
	go func() {
		defer a.verifying.Store(false)
		ctx, cancel := context.WithTimeout(a.runCtx(), time.Hour)
		defer cancel()
		a.runAll(ctx, "on-demand")
	}()
	return map[string]any{"started": true, "run": "on-demand", "at": started,
		"report": "GET /api/v1/reports once it is done"}, nil
}
