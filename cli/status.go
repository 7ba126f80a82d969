package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/links"
)

func (g *globals) statusCmd() *cobra.Command {
	var server, format string
	var allowDegraded bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the cluster's diagnosis: findings, then every directed link per path",
		Long: `Print the cluster's diagnosis as one agent gives it (every agent gives the same):
the findings in operator words, most severe first, then one grid per path.

Exit status: 0 healthy; 1 a link is failing or degraded (--allow-degraded: failing only);
3 the diagnosis is partial or unknown (a view is missing); 2 bad usage.`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return &ExitError{Code: 2, Err: fmt.Errorf("--format: invalid value %q: expected table or json", format)}
			}
			m, raw, err := fetchMatrix(cmd.Context(), strings.TrimRight(server, "/"))
			if err != nil {
				return err
			}
			if format == "json" {
				if _, err = g.stdout.Write(raw); err != nil {
					return err
				}
				return verdictExit(m, allowDegraded)
			}
			printDiagnosis(g.stdout, m)
			return verdictExit(m, allowDegraded)
		},
	}
	cmd.Flags().StringVar(&server, "server", "http://127.0.0.1:9470", "an agent's API base URL")
	cmd.Flags().StringVar(&server, "addr", "http://127.0.0.1:9470", "same as --server")
	cmd.Flags().BoolVar(&allowDegraded, "allow-degraded", false, "exit 0 when links are only degraded (lossy), not failing")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func fetchMatrix(ctx context.Context, server string) (links.Diagnosis, []byte, error) {
	var m links.Diagnosis
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/api/v1/matrix", nil)
	if err != nil {
		return m, nil, &ExitError{Code: 2, Err: fmt.Errorf("--server: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, nil, fmt.Errorf("asking %s: %w", server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return m, nil, fmt.Errorf("asking %s: %s %w", server, resp.Status, err)
	}
	return m, raw, json.Unmarshal(raw, &m)
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

var marks = map[links.State]string{links.Healthy: "ok", links.Failing: "FAIL", links.Degraded: "LOSS",
	links.Pending: "...", links.Unknown: "?"}

// printDiagnosis prints the verdict and findings, then one grid per path:
// rows are sources, columns destinations.
func printDiagnosis(w io.Writer, d links.Diagnosis) {
	fmt.Fprintf(w, "verdict: %s (asked %s)\n", d.Verdict, d.Self)
	if d.CutOff {
		fmt.Fprintf(w, "  %s IS CUT OFF: what follows is its own side only\n", d.Self)
	}
	for _, f := range d.Findings {
		fmt.Fprintf(w, "  %-8s %s [%s, cause %s]\n", f.Severity, f.Summary, f.Kind, f.Cause)
		if f.Advice != "" {
			fmt.Fprintf(w, "           advice: %s\n", f.Advice)
		}
	}
	fmt.Fprintln(w)
	cells := map[[3]string]links.Cell{}
	for _, c := range d.Cells {
		cells[[3]string{c.Path, c.From, c.To}] = c
	}
	for _, p := range d.Paths {
		printGrid(w, d, p, cells)
	}
}

func printGrid(w io.Writer, d links.Diagnosis, path string, cells map[[3]string]links.Cell) {
	fmt.Fprintf(w, "path %s (row → column)\n", path)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "from\\to\t%s\n", strings.Join(d.Nodes, "\t"))
	for _, from := range d.Nodes {
		row := []string{from}
		for _, to := range d.Nodes {
			mark := "-"
			if c, ok := cells[[3]string{path, from, to}]; ok {
				mark = marks[c.State]
				if c.Cause != "" && c.State != links.Healthy {
					mark += " " + c.Cause
				}
			}
			row = append(row, mark)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
}
