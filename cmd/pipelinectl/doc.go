package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"trustdocs/evidence"
)

func docCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "doc", Short: "Prove and protect stored documents"}
	var asJSON bool
	verify := &cobra.Command{
		Use:   "verify DOC_ID",
		Short: "Prove a document untouched: hashes, hash file, re-render, retention, legal hold",
		Long: `verify downloads the document's PDF from S3, recomputes its SHA-256 and compares it
with the database and with hash_{doc_id}.txt, re-renders the document from the inputs the
database keeps (template version, clause versions, variables, signers) and compares the
bytes, and shows the object's retention and legal hold. It exits non-zero on any
mismatch.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, closeDeps, err := open(cmd, needDB|needAWS)
			if err != nil {
				return err
			}
			defer closeDeps()
			r, err := evidence.Verify(cmd.Context(), d.pool, d.docs(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, r); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "document %s\npdf      %s\nsha256   %s\n", r.DocID, r.PDF, r.SHA256)
				for _, c := range r.Checks {
					mark := "ok      "
					if !c.OK {
						mark = "MISMATCH"
					}
					fmt.Fprintf(out, "%s %-14s %s\n", mark, c.Name, c.Detail)
				}
				hold := "off"
				if r.LegalHold {
					hold = "ON"
				}
				if r.LegalHoldActor != "" {
					hold += fmt.Sprintf(" (last set by %s: %s)", r.LegalHoldActor, r.LegalHoldWhy)
				}
				fmt.Fprintf(out, "legal hold %s\n", hold)
			}
			if !r.OK() {
				return errors.New("verification failed: the document or its records do not match")
			}
			return nil
		},
	}
	verify.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")

	var on, off bool
	var reason, actor string
	hold := &cobra.Command{
		Use:   "legal-hold DOC_ID --on|--off --reason TEXT --actor NAME",
		Short: "Set or clear the S3 legal hold on a document's objects, recording who and why",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if on == off {
				return errors.New("say --on or --off")
			}
			if strings.TrimSpace(reason) == "" || strings.TrimSpace(actor) == "" {
				return errors.New("--reason and --actor are required: a legal hold is on the record")
			}
			d, closeDeps, err := open(cmd, needDB|needAWS)
			if err != nil {
				return err
			}
			defer closeDeps()
			keys, err := evidence.SetLegalHold(cmd.Context(), d.pool, d.docs(), args[0], on, actor, reason)
			for _, k := range keys {
				fmt.Fprintf(cmd.OutOrStdout(), "legal hold %s on s3://%s/%s\n", map[bool]string{true: "ON", false: "off"}[on], d.cfg.DocsBucket, k)
			}
			return err
		},
	}
	hold.Flags().BoolVar(&on, "on", false, "set the legal hold")
	hold.Flags().BoolVar(&off, "off", false, "clear the legal hold")
	hold.Flags().StringVar(&reason, "reason", "", "why (recorded)")
	hold.Flags().StringVar(&actor, "actor", "", "who asks for it (recorded)")
	cmd.AddCommand(verify, hold)
	return cmd
}
