package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/store"
	"trustdocs/trust"
	"trustdocs/trustcache"
)

func cacheCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cache", Short: "Check and repair the DynamoDB trust cache"}
	var user string
	var all, asJSON bool
	reconcile := &cobra.Command{
		Use:   "reconcile --user USER_ID | --all",
		Short: "Compare trust_cache items with PostgreSQL and repair what differs",
		Long: `reconcile rebuilds each user's trust_cache item from PostgreSQL (the source of truth)
and compares it with DynamoDB. An item that is missing, says something else, or carries a
version PostgreSQL never issued is rewritten under a new trust version, so the repair
wins over the wrong item and still loses to any newer refresh. With --all it walks every
user with a trust state and deletes items of users PostgreSQL does not know. It prints
counts, and exits 0 whether or not it repaired anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (user == "") == !all {
				return errors.New("say --user USER_ID or --all")
			}
			d, closeDeps, err := open(cmd, needDB|needAWS)
			if err != nil {
				return err
			}
			defer closeDeps()
			errOut := cmd.ErrOrStderr()
			r := trustcache.Reconciler{DB: d.pool, Writer: d.cache(),
				Progress: func(done, total int) {
					if done%500 == 0 || done == total {
						fmt.Fprintf(errOut, "reconcile: %d/%d users\n", done, total)
					}
				}}
			var rep trustcache.ReconcileReport
			if all {
				rep, err = r.All(cmd.Context())
			} else {
				rep, err = r.Users(cmd.Context(), []string{user})
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, rep)
			}
			fmt.Fprintf(out, "checked %d: ok %d, missing %d, differed %d, ahead %d, orphaned %d; repaired %d\n",
				rep.Checked, rep.OK, rep.Missing, rep.Differed, rep.Ahead, rep.Orphaned, len(rep.Repaired))
			for _, u := range rep.Repaired {
				fmt.Fprintf(out, "repaired %s\n", u)
			}
			return nil
		},
	}
	reconcile.Flags().StringVar(&user, "user", "", "reconcile one user")
	reconcile.Flags().BoolVar(&all, "all", false, "reconcile every user, and delete orphaned items")
	reconcile.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	show := &cobra.Command{
		Use:   "show USER_ID",
		Short: "Print a user's trust_cache item and whether it matches PostgreSQL",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, closeDeps, err := open(cmd, needDB|needAWS)
			if err != nil {
				return err
			}
			defer closeDeps()
			it, found, err := d.cache().Table.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("no trust_cache item for %s in %s", args[0], d.cfg.TrustCacheTable)
			}
			now := time.Now().UTC()
			state, err := store.LoadTrustState(cmd.Context(), d.pool, args[0], d.cfg.RiskWindowDays, now)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if err := writeJSON(out, it); err != nil {
				return err
			}
			switch want := trust.Item(state, now); {
			case trust.Same(it, want):
				fmt.Fprintf(out, "matches PostgreSQL (trust version %d)\n", state.Version)
			default:
				fmt.Fprintf(out, "DIFFERS from PostgreSQL (trust version %d): run pipelinectl cache reconcile --user %s\n", state.Version, args[0])
			}
			if now.After(it.ValidUntil) {
				fmt.Fprintf(out, "STALE: valid_until %s has passed\n", it.ValidUntil.Format(time.RFC3339))
			}
			return nil
		},
	}
	cmd.AddCommand(reconcile, show)
	return cmd
}
