package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/history"
)

func (g *globals) historyCmd() *cobra.Command {
	return listCmd(g, listSpec[history.Record]{
		use:   "history",
		short: "Print the recorded results of one link, or of every link of a node, newest first",
		example: "  swarmlink history --source node1 --destination node2 --path overlay --since 30m\n" +
			"  swarmlink history --node node2 --addr node1:9470 --format json",
		path: "/api/v1/history", at: func(r history.Record) time.Time { return r.Time }, print: printHistory,
	})
}

// listSpec is one of the history-style commands: it asks one endpoint
// about one link or node and prints the items newest first.
type listSpec[T any] struct {
	use, short, example, path string
	at                        func(T) time.Time // what "newest" sorts by
	print                     func(io.Writer, []T)
}

func listCmd[T any](g *globals, s listSpec[T]) *cobra.Command {
	var q linkQuery
	cmd := &cobra.Command{
		Use: s.use, Short: s.short, Example: s.example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := q.check(); err != nil {
				return err
			}
			items, err := fetchItems[T](cmd.Context(), q.addr, s.path, q.values())
			if err != nil {
				return err
			}
			slices.SortStableFunc(items, func(a, b T) int { return s.at(b).Compare(s.at(a)) })
			items = items[:min(len(items), q.limit)]
			if q.format == "json" {
				return writeJSON(g.stdout, nonNil(items))
			}
			s.print(g.stdout, items)
			return nil
		},
	}
	q.flags(cmd)
	return cmd
}

// printHistory prints one line per result.
func printHistory(w io.Writer, recs []history.Record) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "no results recorded in this window")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tLINK\tPATH\tPROBE\tRESULT\tCAUSE\tTOOK\tMESSAGE")
	for _, r := range recs {
		result := "pass"
		if !r.Passed {
			result = "FAIL"
		}
		took := time.Duration(r.DurationSeconds * float64(time.Second)).Round(time.Microsecond)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", stamp(r.Time), arrow(r.Source, r.Destination, r.Direction),
			r.Path, r.Probe, result, r.Cause, took, oneLine(r.Message))
	}
	tw.Flush()
}

// arrow is "source → destination"; an inbound record (the destination's
// view of what arrived) says so.
func arrow(source, destination, direction string) string {
	s := source + " → " + destination
	if direction == history.DirectionInbound {
		s += " (inbound)"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
