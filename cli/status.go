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

	links "github.com/swarmlink/swarmlink/internal/oldlinks"
)

func (g *globals) statusCmd() *cobra.Command {
	var server, format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the cluster matrix (every directed link per path) as one agent sees it",
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
				_, err = g.stdout.Write(raw)
				return err
			}
			printMatrix(g.stdout, m)
			if m.Verdict == links.Failing {
				return &ExitError{Code: 1, Err: fmt.Errorf("cluster verdict: %s", m.Verdict)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "http://127.0.0.1:9470", "an agent's API base URL")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func fetchMatrix(ctx context.Context, server string) (links.Matrix, []byte, error) {
	var m links.Matrix
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

var marks = map[string]string{links.Healthy: "ok", links.Failing: "FAIL", links.Degraded: "1-way",
	links.Pending: "...", links.Unknown: "?"}

// printMatrix prints one grid per path: rows are sources, columns
// destinations; then the verdict and every broken direction.
func printMatrix(w io.Writer, m links.Matrix) {
	cells := map[[3]string]links.Cell{}
	for _, c := range m.Cells {
		cells[[3]string{c.Path, c.From, c.To}] = c
	}
	for _, p := range m.Paths {
		fmt.Fprintf(w, "path %s (row → column)\n", p)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "from\\to\t%s\n", strings.Join(m.Nodes, "\t"))
		for _, from := range m.Nodes {
			row := []string{from}
			for _, to := range m.Nodes {
				mark := "-"
				if c, ok := cells[[3]string{p, from, to}]; ok {
					mark = marks[c.State]
				}
				row = append(row, mark)
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "verdict: %s\n", m.Verdict)
	for node, why := range m.Unanswered {
		fmt.Fprintf(w, "  no answer from %s: %s\n", node, why)
	}
	for _, b := range m.Broken {
		fmt.Fprintf(w, "  broken: %s\n", b)
	}
}
