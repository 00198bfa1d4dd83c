package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/config"
	"trustdocs/trace"
)

func packsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "packs", Short: "Doc packs that need someone's attention"}
	var asJSON bool
	var draft, unsigned string
	stuck := &cobra.Command{
		Use:   "stuck",
		Short: "List packs still draft or unsigned for too long, with the reason",
		Long: `stuck lists the packs still draft longer than STUCK_PACK_AFTER (their documents not
all rendered) and those issued and unsigned longer than UNSIGNED_PACK_AFTER, oldest
first, each with its reason: the last error of a job of its documents that was
cancelled, discarded or keeps failing, an e-sign provider's refusal, or else what the
pack waits for (rendering, sending, signers, the executed copy). The same packs are
counted by the worker's trustdocs_packs_stuck gauge. Exits 0 whether or not any are
stuck; follow up with pipelinectl trace PACK_ID.`,
		Example: `  pipelinectl packs stuck
  pipelinectl packs stuck --draft 5m --unsigned 3d --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, closeDeps, err := open(cmd, needRiver)
			defer closeDeps()
			if err != nil {
				return err
			}
			after := d.cfg.Stuck
			if draft != "" {
				if after.DraftPackAfter, err = config.ParseDuration(draft); err != nil {
					return fmt.Errorf("--draft: %w", err)
				}
			}
			if unsigned != "" {
				if after.UnsignedPackAfter, err = config.ParseDuration(unsigned); err != nil {
					return fmt.Errorf("--unsigned: %w", err)
				}
			}
			now := time.Now()
			packs, err := trace.Stuck(cmd.Context(), trace.Sources{DB: d.pool, Jobs: d.river}, now.Add(-after.DraftPackAfter), now.Add(-after.UnsignedPackAfter))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, packs)
			}
			if len(packs) == 0 {
				fmt.Fprintf(out, "no pack draft longer than %s or unsigned longer than %s\n", config.FormatDuration(after.DraftPackAfter), config.FormatDuration(after.UnsignedPackAfter))
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PACK\tLEG\tSTATUS\tSINCE\tREASON")
			for _, p := range packs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%s\n", p.PackID, p.LegID, p.Status, p.Since.UTC().Format(time.RFC3339),
					now.Sub(p.Since).Round(time.Second), p.Reason)
			}
			return tw.Flush()
		},
	}
	stuck.Flags().BoolVar(&asJSON, "json", false, "print the packs as JSON")
	stuck.Flags().StringVar(&draft, "draft", "", "draft for longer than this (default STUCK_PACK_AFTER)")
	stuck.Flags().StringVar(&unsigned, "unsigned", "", "issued and unsigned for longer than this (default UNSIGNED_PACK_AFTER)")
	cmd.AddCommand(stuck)
	return cmd
}
