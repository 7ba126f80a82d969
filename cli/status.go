package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/links"
)

// statusOptions are the flags of `swarmlink status`.
type statusOptions struct {
	server, format, color string
	allowDegraded         bool
	watch                 time.Duration
}

func (g *globals) statusCmd() *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the cluster's diagnosis: findings, then every directed link per path",
		Long: `Print the cluster's diagnosis as one agent gives it (every agent gives the same):
the findings in operator words, most severe first, then one grid per path.

Exit status: 0 healthy; 1 a link is failing or degraded (--allow-degraded: failing only);
3 the diagnosis is partial or unknown (a view is missing); 2 bad usage.
With --watch it redraws every interval until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.check(); err != nil {
				return err
			}
			if o.watch > 0 {
				return g.watchStatus(cmd.Context(), o)
			}
			return g.statusOnce(cmd.Context(), o, colorOn(o.color, g.stdout))
		},
	}
	cmd.Flags().StringVar(&o.server, "server", "http://127.0.0.1:9470", "an agent's API base URL")
	cmd.Flags().StringVar(&o.server, "addr", "http://127.0.0.1:9470", "same as --server")
	cmd.Flags().StringVar(&o.format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&o.color, "color", "auto", "colour: auto (on a terminal), always or never")
	cmd.Flags().BoolVar(&o.allowDegraded, "allow-degraded", false, "exit 0 when links are only degraded (lossy), not failing")
	cmd.Flags().DurationVar(&o.watch, "watch", 0, "redraw every this long (e.g. 2s) until interrupted")
	return cmd
}

func (o statusOptions) check() error {
	switch {
	case o.format != "table" && o.format != "json":
		return &ExitError{Code: 2, Err: fmt.Errorf("--format: invalid value %q: expected table or json", o.format)}
	case o.color != "auto" && o.color != "always" && o.color != "never":
		return &ExitError{Code: 2, Err: fmt.Errorf("--color: invalid value %q: expected auto, always or never", o.color)}
	case o.watch < 0 || (o.watch > 0 && o.watch < 500*time.Millisecond):
		return &ExitError{Code: 2, Err: fmt.Errorf("--watch: invalid value %s: expected 500ms or more", o.watch)}
	}
	return nil
}

func (g *globals) statusOnce(ctx context.Context, o statusOptions, color bool) error {
	d, raw, err := fetchDiagnosis(ctx, strings.TrimRight(o.server, "/"))
	if err != nil {
		return err
	}
	if o.format == "json" {
		if _, err := g.stdout.Write(raw); err != nil {
			return err
		}
	} else {
		printDiagnosis(g.stdout, d, color)
	}
	return verdictExit(d, o.allowDegraded)
}

// watchStatus redraws until ctx ends; on a terminal it clears the screen
// first. A failed fetch is shown and retried, never fatal.
func (g *globals) watchStatus(ctx context.Context, o statusOptions) error {
	color, tty := colorOn(o.color, g.stdout), isTerminal(g.stdout)
	for {
		if tty {
			fmt.Fprint(g.stdout, "\x1b[H\x1b[2J")
		}
		fmt.Fprintf(g.stdout, "swarmlink status — %s — every %s\n", time.Now().Format("15:04:05"), o.watch)
		if err := g.statusOnce(ctx, o, color); err != nil {
			fmt.Fprintf(g.stdout, "%v\n", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.watch):
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func colorOn(mode string, w io.Writer) bool {
	return mode == "always" || (mode == "auto" && isTerminal(w) && os.Getenv("NO_COLOR") == "")
}

func fetchDiagnosis(ctx context.Context, server string) (links.Diagnosis, []byte, error) {
	var d links.Diagnosis
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/api/v1/matrix", nil)
	if err != nil {
		return d, nil, &ExitError{Code: 2, Err: fmt.Errorf("--server: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return d, nil, fmt.Errorf("asking %s: %w", server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return d, nil, fmt.Errorf("asking %s: %s %w", server, resp.Status, err)
	}
	return d, raw, json.Unmarshal(raw, &d)
}

// verdictExit maps the verdict to the exit status.
func verdictExit(d links.Diagnosis, allowDegraded bool) error {
	switch {
	case d.Verdict == links.Failing, d.Verdict == links.Degraded && !allowDegraded:
		return &ExitError{Code: 1, Err: fmt.Errorf("cluster verdict: %s (%d findings)", d.Verdict, len(d.Findings))}
	case d.Verdict == links.Unknown:
		return &ExitError{Code: 3, Err: fmt.Errorf("cluster verdict: unknown (partial: %t)", d.Partial)}
	}
	return nil
}
