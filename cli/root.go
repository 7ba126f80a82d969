// Package cli owns swarmlink's command line: the agent, one-shot
// verification, config validation, health checks, the cluster status view
// and an agent's history and outages of one link or node.
// Exit codes: 0 success, 1 a check did not match its expectation (or the
// agent failed), 2 a usage or config error.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/telemetry"
)

// ExitError carries a process exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// globals are the persistent flags.
type globals struct {
	logLevel  string
	logFormat string
	version   string
	build     telemetry.Build
	stdout    io.Writer
	stderr    io.Writer
}

// NewRoot returns the root command of a build that knows only its version.
func NewRoot(version string, stdout, stderr io.Writer) *cobra.Command {
	return NewRootBuild(telemetry.ReadBuild(version, ""), stdout, stderr)
}

// NewRootBuild returns the root command of build b.
func NewRootBuild(b telemetry.Build, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{version: b.Version, build: b, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "swarmlink",
		Short:         "Continuously checks the network links of a Docker Swarm and of Docker hosts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "auto", "log format: json, console, auto (console on a terminal)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &ExitError{Code: 2, Err: err} })
	root.AddCommand(g.agentCmd(), g.verifyCmd(), g.configCmd(), g.versionCmd(), g.healthcheckCmd(), g.statusCmd(),
		g.historyCmd(), g.outagesCmd())
	return root
}

// Code maps an error from the root command to an exit code.
func Code(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

func (g *globals) logger() (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("--log-level: %w", err)}
	}
	format := g.logFormat
	if format == "auto" {
		format = "json"
		if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			format = "console"
		}
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
	default:
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("--log-format: invalid value %q: expected json, console or auto", format)}
	}
	cfg.Level = zap.NewAtomicLevelAt(level)
	cfg.DisableStacktrace = level > zapcore.DebugLevel
	return cfg.Build()
}

func (g *globals) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(g.stdout, "swarmlink %s (revision %s, %s)\n", g.build.Version, g.build.Revision, g.build.GoVersion)
		},
	}
}
