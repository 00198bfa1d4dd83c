// Command receiver is trustdocs' webhook endpoint for the e-sign, identity and
// background-check providers: POST /webhooks/{provider}, plus /healthz, /readyz and
// /metrics, on RECEIVER_ADDR. It verifies and enqueues; the worker does the rest.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"trustdocs/cmd/internal/cli"
	"trustdocs/config"
	"trustdocs/infra"
	"trustdocs/telemetry"
	"trustdocs/webhook"
)

func main() { cli.Main("receiver", run) }

const usage = `usage: receiver

Receives provider webhooks on POST /webhooks/{provider} (docusign, dropboxsign, persona,
stripe, checkr), verifies them and enqueues them on the provider-webhooks queue.

Configured by environment variables (defaults point at the local stack, see README.md):
RECEIVER_ADDR, WEBHOOK_QUEUE, WEBHOOK_SECRET_<PROVIDER> (comma-separated for rotation),
WEBHOOK_MAX_BYTES, RECEIVER_READ_TIMEOUT, RECEIVER_WRITE_TIMEOUT, RECEIVER_IDLE_TIMEOUT,
RECEIVER_MAX_INFLIGHT_PER_PROVIDER, RECEIVER_MAX_UNVERIFIED_PER_PROVIDER,
TRUSTDOCS_STACK, AWS_REGION, AWS_ENDPOINT_URL[_SQS], SHUTDOWN_GRACE, LOG_LEVEL, PPROF.

Endpoints: POST /webhooks/{provider}, GET /healthz, GET /readyz, GET /metrics, and with
PPROF=1 GET /debug/pprof/ (loopback clients only unless PPROF_REMOTE=1).
`

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if err := cli.ParseFlags("receiver", usage, args, stderr); err != nil {
		return err
	}

	cfg, err := config.Load()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := telemetry.NewLogger("receiver", cfg.LogLevel)
	gogc := config.ApplyGC()
	clients, err := infra.NewAWS(ctx, cfg, log)
	if err != nil {
		return err
	}
	checks := []infra.Check{infra.QueueCheck(cfg, clients.SQS, cfg.WebhookQueue)}
	if err := infra.RunChecks(ctx, checks, 10*time.Second); err != nil {
		return err
	}

	reg := telemetry.NewRegistry("receiver", telemetry.Version())
	srv := telemetry.NewServer(log, reg, checks)
	if cfg.Pprof {
		srv.ServePprof(cfg.PprofRemote)
	}
	queueURL, err := infra.QueueURL(ctx, cfg, clients.SQS, cfg.WebhookQueue)
	if err != nil {
		return err
	}
	wh := webhook.NewHandler(cfg.WebhookSecrets, clients.SQS, queueURL, reg, log)
	wh.MaxBody = int64(cfg.WebhookMaxBytes)
	wh.Limits = webhook.Limits{Unverified: cfg.Receiver.MaxUnverified, Queued: cfg.Receiver.MaxInflight}
	srv.Mux.Handle("POST /webhooks/{provider}", wh)
	srv.Timeouts = telemetry.Timeouts{Read: cfg.Receiver.ReadTimeout, Write: cfg.Receiver.WriteTimeout, Idle: cfg.Receiver.IdleTimeout}
	addr, err := srv.Listen(cfg.ReceiverAddr)
	if err != nil {
		return fmt.Errorf("RECEIVER_ADDR %s: %w", cfg.ReceiverAddr, err)
	}
	log.Info().Str("addr", addr.String()).Str("version", telemetry.Version()).Int("gogc", gogc).
		Strs("providers_with_secrets", cfg.Secrets()).Msg("receiver started")

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	// The server first: the requests it waits for are waiting for the batcher, which
	// then sends whatever is left and waits for SQS's answers.
	if err := errors.Join(srv.Shutdown(sctx), wh.Close(sctx)); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info().Msg("receiver stopped")
	return nil
}
