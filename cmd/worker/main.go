// Command worker runs trustdocs' SQS consumers and River workers, and serves /healthz,
// /readyz and /metrics on WORKER_ADDR. Configuration is environment variables (see the
// README); SIGTERM finishes in-flight work within SHUTDOWN_GRACE and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"trustdocs/config"
	"trustdocs/infra"
	"trustdocs/telemetry"
	"trustdocs/workers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: worker

Consumes the checkout, risk-windows and provider-webhooks queues and works River jobs
(render and store documents, send envelopes, append sign events, recompute risk windows,
refresh the trust cache, publish outbound events).

Configured by environment variables (defaults point at the local stack, see README.md):
DATABASE_URL, TRUSTDOCS_STACK, AWS_REGION, AWS_ENDPOINT_URL[_<SERVICE>], DOCS_BUCKET,
DOCS_ENV, TRUST_CACHE_TABLE, CHECKOUT_QUEUE, RISK_QUEUE, WEBHOOK_QUEUE, PIPELINE_TOPIC,
WORKER_ADDR, RIVER_WORKERS, SHUTDOWN_GRACE, LOG_LEVEL.

Endpoints on WORKER_ADDR: GET /healthz, GET /readyz, GET /metrics.
`)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}

	cfg, err := config.Load()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := telemetry.NewLogger("worker", cfg.LogLevel)

	pool, err := infra.OpenPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	clients, err := infra.NewAWS(ctx, cfg)
	if err != nil {
		return err
	}

	checks := []infra.Check{infra.PostgresCheck(cfg, pool)}
	for _, q := range cfg.Queues() {
		checks = append(checks, infra.QueueCheck(cfg, clients.SQS, q))
	}
	checks = append(checks,
		infra.TopicCheck(cfg, clients.SNS, cfg.PipelineTopic),
		infra.BucketCheck(cfg, clients.S3),
		infra.TableCheck(cfg, clients.DynamoDB))
	// Refuse to start half-configured: every dependency must answer now.
	if err := infra.RunChecks(ctx, checks, 10*time.Second); err != nil {
		return err
	}
	topicARN, err := infra.TopicARN(ctx, cfg, clients.SNS, cfg.PipelineTopic)
	if err != nil {
		return err
	}

	ws := river.NewWorkers()
	workers.Register(ws, &workers.Deps{Pool: pool, SNS: clients.SNS, PipelineTopicARN: topicARN, Log: log})
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:  telemetry.Slog(log),
		Queues:  workers.Queues(cfg.RiverWorkerConcurrent),
		Workers: ws,
	})
	if err != nil {
		return fmt.Errorf("river: %w", err)
	}
	// River gets its own context: stopping is driven below, so in-flight jobs can finish.
	if err := rc.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("river start: %w", err)
	}

	reg := telemetry.NewRegistry("worker", telemetry.Version())
	srv := telemetry.NewServer(log, reg, checks)
	addr, err := srv.Listen(cfg.WorkerAddr)
	if err != nil {
		_ = rc.StopAndCancel(context.Background())
		return fmt.Errorf("WORKER_ADDR %s: %w", cfg.WorkerAddr, err)
	}
	log.Info().Str("addr", addr.String()).Str("version", telemetry.Version()).
		Strs("queues", cfg.Queues()).Msg("worker started")

	<-ctx.Done()
	log.Info().Dur("grace", cfg.ShutdownGrace).Msg("stopping: finishing in-flight work")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := rc.Stop(sctx); err != nil {
		log.Warn().Err(err).Msg("grace period over: cancelling remaining jobs (River retries them)")
		_ = rc.StopAndCancel(context.Background())
	}
	log.Info().Msg("worker stopped")
	return nil
}
