package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/infra"
	"trustdocs/store"
)

func migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations (River's and ours); safe to run again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, closeDeps, err := open(cmd, needDB)
			if err != nil {
				return err
			}
			defer closeDeps()
			ctx, pool := cmd.Context(), d.pool
			if err := infra.RunChecks(ctx, []infra.Check{{Name: "postgres", Run: pool.Ping}}, 10*time.Second); err != nil {
				return fmt.Errorf("database unreachable: %s", infra.Reason(err))
			}
			res, err := store.Migrate(ctx, pool)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, v := range res.RiverApplied {
				fmt.Fprintf(out, "applied river migration %03d\n", v)
			}
			for _, f := range res.Applied {
				fmt.Fprintf(out, "applied %s\n", f)
			}
			if len(res.Applied) == 0 && len(res.RiverApplied) == 0 {
				fmt.Fprintf(out, "schema is current (version %d)\n", res.Version)
			} else {
				fmt.Fprintf(out, "schema now at version %d\n", res.Version)
			}
			return nil
		},
	}
}
