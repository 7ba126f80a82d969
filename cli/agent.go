package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/agent"
	"github.com/swarmlink/swarmlink/config"
)

func (g *globals) agentCmd() *cobra.Command {
	var opts agent.Options
	var pprofAddr string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the agent: reconcile and run checks, keep history, serve the API, UI and metrics",
		Long: "Run the agent. Without --config it starts with the built-in default: its API, metrics and UI on :9470,\n" +
			"one check of its own API, identity from $SWARMLINK_NODE or the hostname, and data under\n" +
			config.DefaultSystemDataDir + " (or ~/.local/state/swarmlink when that is not writable).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("log-level") {
				g.logLevel = configLogLevel(opts.ConfigPath, g.logLevel)
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // best effort on exit
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			if pprofAddr != "" {
				if err := servePprof(ctx, pprofAddr, log); err != nil {
					return err
				}
			}
			opts.Log, opts.Version, opts.Revision, opts.Hup = log, g.version, g.build.Revision, hup
			a, err := agent.New(opts)
			if err != nil {
				return err
			}
			return a.Start(ctx)
		},
	}
	cmd.Flags().StringVar(&opts.ConfigPath, "config", os.Getenv("SWARMLINK_CONFIG"), "config file (default: the embedded default; env SWARMLINK_CONFIG)")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "HTTP listen address (overrides agent.listen; default :9470)")
	cmd.Flags().StringVar(&opts.DataDir, "data-dir", "", "history directory (overrides agent.data_dir)")
	cmd.Flags().StringVar(&pprofAddr, "pprof", "", "serve Go runtime profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060")
	return cmd
}

// configLogLevel is agent.log_level of the config file, when it sets one
// (--log-level overrides it); a file that does not load says so later,
// when the agent loads it for real.
func configLogLevel(path, fallback string) string {
	if path == "" {
		return fallback
	}
	c, err := config.Load(path)
	if err != nil || c.Agent.LogLevel == "" {
		return fallback
	}
	return c.Agent.LogLevel
}

func (g *globals) healthcheckCmd() *cobra.Command {
	url := "http://127.0.0.1:9470/healthz"
	if env := os.Getenv("SWARMLINK_HEALTH_URL"); env != "" {
		url = env
	}
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the local agent itself is alive (for container HEALTHCHECKs; never reflects peer links)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("agent not healthy: %w", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("agent not healthy: %s answered %s", url, resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", url, "liveness URL (env SWARMLINK_HEALTH_URL)")
	return cmd
}
