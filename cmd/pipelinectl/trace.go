package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/trace"
)

func traceCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "trace EVENT_ID|LEG_ID|PACK_ID|DOC_ID|USER_ID",
		Short: "The timeline of everything the pipeline did for an event, leg, pack, document or user",
		Long: `trace finds what the id names (a document, pack, leg, event or user, in that order) and
prints, oldest first, everything the pipeline did for it: the inbox row of each event,
recorded failures and replays, River jobs with their attempts and errors, rows written
(legs, packs, risk ledger), S3 objects, signer evidence, provider webhooks, outbound
events, and for a user identity, background check, social verification, badges, risk
snapshots, ledger and the trust_cache item in DynamoDB.

A document's trace covers its pack: the checkout event, the build, the render, the
upload, the envelope, the signer evidence and the signed pack.`,
		Example: `  pipelinectl trace evt_chk_7Q2M4X1B
  pipelinectl trace doc_3f9c0a1b2c3d4e5f --json
  pipelinectl trace usr_t_2002`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, closeDeps, err := open(cmd, needRiver|needAWS)
			defer closeDeps()
			if err != nil {
				return err
			}
			t, err := trace.Of(cmd.Context(), trace.Sources{DB: d.pool, Jobs: d.river, Docs: d.docs(), Cache: d.cache().Table}, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, t)
			}
			fmt.Fprintf(out, "trace of %s %s: %d entries\n", t.Kind, t.ID, len(t.Entries))
			kinds := make([]string, 0, len(t.Related))
			for k := range t.Related {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			for _, k := range kinds {
				fmt.Fprintf(out, "  %-6s %s\n", k, strings.Join(t.Related[k], ", "))
			}
			fmt.Fprintln(out)
			for _, e := range t.Entries {
				fmt.Fprintf(out, "%s  %-11s %s\n", e.At.UTC().Format("2006-01-02 15:04:05.000"), e.Kind, e.Summary)
				for _, er := range e.Errors {
					fmt.Fprintf(out, "%s  %-11s   ! %s\n", strings.Repeat(" ", len(time.DateTime)+4), "", er)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the timeline as JSON")
	return cmd
}
