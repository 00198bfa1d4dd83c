package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"trustdocs/config"
	"trustdocs/infra"
)

func checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check that the database, queues, topics, bucket and table answer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load()
			if err != nil {
				return fmt.Errorf("configuration: %w", err)
			}
			ctx := cmd.Context()
			pool, err := infra.OpenPool(ctx, cfg)
			if err != nil {
				return err
			}
			defer pool.Close()
			clients, err := infra.NewAWS(ctx, cfg, zerolog.Nop())
			if err != nil {
				return err
			}
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
