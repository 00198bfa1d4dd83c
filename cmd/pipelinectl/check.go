package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"trustdocs/infra"
)

func checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check that the database, queues, topics, bucket and table answer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, closeDeps, err := open(cmd, needDB|needAWS)
			if err != nil {
				return err
			}
			defer closeDeps()
			ctx, cfg, pool, clients := cmd.Context(), d.cfg, d.pool, d.aws
			checks := []infra.Check{infra.PostgresCheck(cfg, pool)}
			for _, q := range cfg.Queues() {
				checks = append(checks, infra.QueueCheck(cfg, clients.SQS, q), infra.QueueCheck(cfg, clients.SQS, cfg.DLQ(q)))
			}
			for _, t := range cfg.Topics() {
				checks = append(checks, infra.TopicCheck(cfg, clients.SNS, t))
			}
			checks = append(checks, infra.BucketCheck(cfg, clients.S3), infra.TableCheck(cfg, clients.DynamoDB))
			failed := 0
			for _, c := range checks {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := c.Run(cctx)
				cancel()
				if err != nil {
					failed++
					fmt.Fprintf(cmd.OutOrStdout(), "FAIL %-28s %v\n", c.Name, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ok   %s\n", c.Name)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d checks failed", failed, len(checks))
			}
			return nil
		},
	}
}
