package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/history"
)

func (g *globals) outagesCmd() *cobra.Command {
	return listCmd(g, listSpec[history.Transition]{
		use:   "outages",
		short: "Print the outages (runs of failures) of one link, or of every link of a node, newest first",
		example: "  swarmlink outages --node node2 --since 24h\n" +
			"  swarmlink outages --source node1 --destination node2 --path published --format json",
		path: "/api/v1/outages", at: func(t history.Transition) time.Time { return t.Start }, print: printOutages,
	})
}

// printOutages prints one line per outage; an ongoing one has no end and
// no length yet.
func printOutages(w io.Writer, ts []history.Transition) {
	if len(ts) == 0 {
		fmt.Fprintln(w, "no outages in this window")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START (UTC)\tEND\tLASTED\tLINK\tPATH\tPROBE\tFAILURES\tCAUSE\tMESSAGE")
	for _, t := range ts {
		end, lasted := "ongoing", "-"
		if t.End != nil {
			end, lasted = stamp(*t.End), t.End.Sub(t.Start).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", stamp(t.Start), end, lasted,
			arrow(t.Source, t.Destination, t.Direction), t.Path, t.Probe, t.Failures, t.Cause, oneLine(t.Message))
	}
	tw.Flush()
}
