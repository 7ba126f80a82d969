package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/agent"
	"github.com/swarmlink/swarmlink/config"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
	"github.com/swarmlink/swarmlink/report"
)

// VerifyResult is one line of `swarmlink verify` output.
type VerifyResult struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	Target          string   `json:"target"`
	Destination     string   `json:"destination"`
	Path            string   `json:"path"`
	Expect          string   `json:"expect"`
	Passed          bool     `json:"passed"`
	Reachable       bool     `json:"reachable"`
	Cause           string   `json:"cause"`
	Message         string   `json:"message"`
	DurationSeconds float64  `json:"duration_seconds"`
	Answers         []string `json:"answers,omitempty"`
	LossPercent     float64  `json:"loss_percent,omitempty"`
	Status          int      `json:"status,omitempty"`
}

// VerifyReport is the whole `swarmlink verify --format json` document.
type VerifyReport struct {
	Passed  bool           `json:"passed"`
	Results []VerifyResult `json:"results"`
}

func (g *globals) verifyCmd() *cobra.Command {
	var path, format, out string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Run every configured check once and print the results (exit 0 all passed, 1 any failed, 2 config error)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "table", "json", "markdown", "html":
			default:
				return &ExitError{Code: 2, Err: fmt.Errorf("--format: invalid value %q: expected table, json, markdown or html", format)}
			}
			c, err := config.Load(path)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			ctrl := controller.New(controller.Options{Sources: []controller.Source{config.Source{
				Current: func() *config.Config { return c }}}, Probers: probes.Default()})
			outcomes := ctrl.RunAll(cmd.Context())
			report := buildReport(outcomes)
			if err := g.writeOut(out, func(w io.Writer) error { return render(w, format, report, outcomes) }); err != nil {
				return err
			}
			if !report.Passed {
				return &ExitError{Code: 1, Err: fmt.Errorf("%d of %d checks did not match their expectation",
					failedCount(report), len(report.Results))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "config file (required)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json, markdown or html (the nightly report's renderings)")
	cmd.Flags().StringVar(&out, "out", "", "write the output to this file instead of stdout")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func buildReport(outcomes map[string]controller.Outcome) VerifyReport {
	rep := VerifyReport{Passed: true, Results: []VerifyResult{}}
	for _, o := range outcomes {
		s, r := o.Check.Spec, o.Result
		rep.Results = append(rep.Results, VerifyResult{
			Name: s.Name, Kind: string(s.Kind), Target: s.Target, Destination: o.Check.Link.Destination,
			Path: o.Check.Link.Path, Expect: string(s.Expect), Passed: r.Passed, Reachable: r.Reachable,
			Cause: string(r.Cause), Message: r.Message, DurationSeconds: r.Duration.Seconds(),
			Answers: r.Answers, LossPercent: r.LossPercent, Status: r.Status,
		})
		rep.Passed = rep.Passed && r.Passed
	}
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].Name < rep.Results[j].Name })
	return rep
}

// render writes the results in format; markdown and html are the same
// report the nightly verification stores.
func render(w io.Writer, format string, rep VerifyReport, outcomes map[string]controller.Outcome) error {
	switch format {
	case "markdown":
		return report.Build("on-demand", time.Now().UTC(), agent.ReportItems(outcomes), nil).WriteMarkdown(w)
	case "html":
		return report.Build("on-demand", time.Now().UTC(), agent.ReportItems(outcomes), nil).WriteHTML(w)
	}
	return printReport(w, format, rep)
}

// writeOut runs write against the file path, or stdout when path is "".
func (g *globals) writeOut(path string, write func(io.Writer) error) error {
	if path == "" {
		return write(g.stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("--out: %w", err)}
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

func printReport(w io.Writer, format string, rep VerifyReport) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tNAME\tKIND\tTARGET\tEXPECT\tCAUSE\tTIME\tMESSAGE")
	for _, r := range rep.Results {
		verdict := "PASS"
		if !r.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.3fs\t%s\n", verdict, r.Name, r.Kind, r.Target, r.Expect,
			r.Cause, r.DurationSeconds, strings.ReplaceAll(r.Message, "\n", " "))
	}
	return tw.Flush()
}

func failedCount(rep VerifyReport) int {
	n := 0
	for _, r := range rep.Results {
		if !r.Passed {
			n++
		}
	}
	return n
}
