package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/swarmlink/swarmlink/config"
)

func (g *globals) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with config files"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a config file; print every problem with its line and field path (exit 2 on any)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c, err := config.Load(args[0])
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			fmt.Fprintf(g.stdout, "%s: valid (%d probes, %d schedules, mesh enabled: %t)\n",
				args[0], len(c.Probes), len(c.Schedules), c.Mesh.Enabled)
			return nil
		},
	})
	return cmd
}
