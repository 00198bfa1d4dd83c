package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"trustdocs/evidence"
	"trustdocs/store"
	"trustdocs/workers"
)

func docCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "doc", Short: "Prove and protect stored documents"}
	var asJSON bool
	verify := &cobra.Command{
		Use:   "verify DOC_ID",
		Short: "Prove a document untouched: hashes, hash file, re-render, evidence and its anchor, retention, legal hold",
		Long: `verify downloads the document's PDF from S3, recomputes its SHA-256 and compares it
with the database and with hash_{doc_id}.txt, re-renders the document from the inputs the
database keeps (template version, clause versions, variables, signers) and compares the
bytes, walks the evidence chain, and, once the envelope has ended, compares every
evidence row with the copy anchored write-once in S3 (evidence_{doc_id}.json), naming
the first row that differs: a chain rewritten in PostgreSQL, hashes and all, passes the
chain check but not this one. A missing anchor is a mismatch; one whose job is still
queued is reported pending. It shows the object's retention, legal hold and
server-side encryption, and exits non-zero on any mismatch.`,
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
				enc := r.Encryption
				if enc == "" {
					enc = "none (stored before the bucket's default encryption)"
				}
				fmt.Fprintf(out, "encryption %s\n", enc)
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
	cmd.AddCommand(verify, hold, anchorCmd())
	return cmd
}

// anchorCmd queues the anchor of a document whose envelope ended without one (doc
// verify: "missing"). The job is idempotent: an anchor that exists is compared, never
// rewritten.
func anchorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "anchor DOC_ID",
		Short: "Queue the evidence anchor of a document whose envelope has ended (when doc verify says it is missing)",
		Long: `anchor queues the anchor_evidence job of a document whose envelope has ended
(completed, voided or expired): the worker writes its evidence log write-once to
evidence_{doc_id}.json, or, if the anchor exists, checks the database against it. Use
it when doc verify reports the anchor missing; then follow the job with trace.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, closeDeps, err := open(cmd, needRiver)
			if err != nil {
				return err
			}
			defer closeDeps()
			doc, err := store.DocByID(cmd.Context(), d.pool, args[0])
			if err != nil {
				return err
			}
			if !evidence.Terminal(doc.EnvelopeStatus) {
				return fmt.Errorf("doc %s: the envelope is %s: evidence is anchored once it has ended", doc.DocID, doc.EnvelopeStatus)
			}
			res, err := d.river.Insert(cmd.Context(), workers.AnchorEvidenceArgs{DocID: doc.DocID}, nil)
			if err != nil {
				return fmt.Errorf("queue the anchor of %s: %w", doc.DocID, err)
			}
			if res.UniqueSkippedAsDuplicate {
				fmt.Fprintf(cmd.OutOrStdout(), "anchor_evidence job %d of %s exists already (%s)\n", res.Job.ID, doc.DocID, res.Job.State)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "queued anchor_evidence job %d for %s\n", res.Job.ID, doc.DocID)
			return nil
		},
	}
}
