package main

import (
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"trustdocs/bootstrap"
	"trustdocs/config"
	"trustdocs/infra"
)

func bootstrapCmd() *cobra.Command {
	var retention, mode string
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create or converge topics, queues with DLQs, subscriptions, the docs bucket and the trust_cache table",
		Long: `bootstrap provisions every AWS resource trustdocs uses and is safe to run again: what
exists is kept (and its settings converged), what is missing is created.

  SNS topics     booking-events, risk-events, pipeline-events
  SQS queues     checkout, risk-windows, provider-webhooks, each with <name>-dlq and a
                 RedrivePolicy (QUEUE_MAX_RECEIVE_COUNT)
  subscriptions  booking-events -> checkout (booking.checkout.*),
                 booking-events -> risk-windows (booking.leg.completed),
                 risk-events -> risk-windows (risk.*, trust.*, booking.leg.completed),
                 raw message delivery, filtered on the "type" message attribute
  S3 bucket      DOCS_BUCKET with Object Lock and a default retention
                 (DOCS_RETENTION_MODE, DOCS_RETENTION: COMPLIANCE, 7 years by default)
  DynamoDB       TRUST_CACHE_TABLE, key user_id, on-demand capacity

and the protections of data at rest and in transit, each reported at the end as
"applied" or "not supported (<the endpoint's error>)":

  bucket         default encryption (SSE-KMS with DOCS_KMS_KEY_ID, else SSE-S3 AES256),
                 public access block, a policy denying requests without TLS
  queues         server-side encryption (QUEUE_KMS_KEY_ID, else SQS-managed keys)

Any other refusal (access denied, an unknown KMS key) fails bootstrap.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load()
			if err != nil {
				return fmt.Errorf("configuration: %w", err)
			}
			if retention != "" {
				if cfg.Retention, err = config.ParseRetention(retention); err != nil {
					return err
				}
			}
			if mode != "" {
				cfg.RetentionMode = strings.ToUpper(mode)
				if cfg.RetentionMode != "COMPLIANCE" && cfg.RetentionMode != "GOVERNANCE" {
					return fmt.Errorf("--retention-mode %q: want COMPLIANCE or GOVERNANCE", mode)
				}
			}
			clients, err := infra.NewAWS(cmd.Context(), cfg, zerolog.Nop())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			rep, err := bootstrap.Run(cmd.Context(), cfg, clients, func(s bootstrap.Step) {
				fmt.Fprintf(out, "%-8s %-13s %-40s %s\n", s.Action, s.Kind, s.Name, s.Detail)
			})
			if rep != nil && len(rep.Controls) > 0 {
				fmt.Fprintln(out, "\ndata at rest and in transit:")
				for _, c := range rep.Controls {
					fmt.Fprintf(out, "%-13s %-30s %-24s %s\n", c.State, c.Resource, c.Name, c.Detail)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&retention, "retention", "", "default retention of the docs bucket, like 7y or 1d (overrides DOCS_RETENTION)")
	cmd.Flags().StringVar(&mode, "retention-mode", "", "COMPLIANCE or GOVERNANCE (overrides DOCS_RETENTION_MODE)")
	return cmd
}
