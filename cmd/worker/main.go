// Command worker runs trustdocs' SQS consumers and River workers, and serves /healthz,
// /readyz and /metrics on WORKER_ADDR. Configuration is environment variables (see the
// README); SIGTERM finishes in-flight work within SHUTDOWN_GRACE and exits.
package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"trustdocs/cmd/internal/cli"
	"trustdocs/cmd/internal/providers"
	"trustdocs/config"
	"trustdocs/consumer"
	"trustdocs/docstore"
	"trustdocs/infra"
	"trustdocs/store"
	"trustdocs/telemetry"
	"trustdocs/trustcache"
	"trustdocs/workers"
)

func main() { cli.Main("worker", run) }

const usage = `usage: worker

Consumes the checkout, risk-windows and provider-webhooks queues and works River jobs
(render and store documents, send envelopes, append sign events, recompute risk windows,
refresh the trust cache, publish outbound events).

Configured by environment variables (defaults point at the local stack, see README.md):
DATABASE_URL, TRUSTDOCS_STACK, AWS_REGION, AWS_ENDPOINT_URL[_<SERVICE>], DOCS_BUCKET,
DOCS_ENV, TRUST_CACHE_TABLE, CHECKOUT_QUEUE, RISK_QUEUE, WEBHOOK_QUEUE, PIPELINE_TOPIC,
WORKER_ADDR, RIVER_WORKERS, RIVER_FETCH_COOLDOWN, CONSUMER_CONCURRENCY, RISK_WINDOWS,
SHUTDOWN_GRACE, LOG_LEVEL, PPROF; the e-sign provider:
ESIGN_PROVIDER (sandbox, docusign, dropboxsign), WEBHOOK_PUBLIC_URL, DOCUSIGN_*,
DROPBOXSIGN_*.

Endpoints on WORKER_ADDR: GET /healthz, GET /readyz, GET /metrics, and with PPROF=1
GET /debug/pprof/ (loopback clients only unless PPROF_REMOTE=1).
`

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if err := cli.ParseFlags("worker", usage, args, stderr); err != nil {
		return err
	}

	cfg, err := config.Load()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := telemetry.NewLogger("worker", cfg.LogLevel)
	gogc := config.ApplyGC()
	reg := telemetry.NewRegistry("worker", telemetry.Version())
	// Before anything is opened: a half-configured provider is named in one line.
	provider, err := providers.ESign(cfg, reg)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	identity, err := providers.IdentityAPIs(cfg, reg)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	// pgx's default pool (4 connections on 2 CPUs) for 20 River workers is on purpose:
	// a pool of 36 made PostgreSQL spend twice the CPU per document on 2 cores, its
	// backends contending (BENCHMARKS.md, end to end). pool_max_conns in DATABASE_URL
	// sizes it for a database on its own machine.
	pool, err := infra.OpenPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	clients, err := infra.NewAWS(ctx, cfg, log)
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

	deps := &workers.Deps{
		DB: pool, SNS: clients.SNS, PipelineTopicARN: topicARN,
		Docs:  docstore.Store{S3: clients.S3, Bucket: cfg.DocsBucket, Env: cfg.DocsEnv, KMSKeyID: cfg.DocsKMSKeyID},
		ESign: provider, Log: log,
		AgeCheckers: identity.AgeCheckers, Reports: identity.Reports, AgeUnverified: identity.AgeUnverified,
		Cache:          trustcache.Writer{Table: trustcache.Table{DB: clients.DynamoDB, Name: cfg.TrustCacheTable}, WindowDays: cfg.RiskWindowDays},
		RiskWindowDays: cfg.RiskWindowDays,
	}
	rcfg := workers.RiverConfig(deps, cfg.RiverWorkerConcurrent)
	// The operational tables are pruned hourly to their RETAIN_* horizons.
	workers.RegisterPrune(rcfg.Workers, deps, cfg.Keep)
	rcfg.PeriodicJobs = append(rcfg.PeriodicJobs, workers.PrunePeriodicJob())
	rcfg.Logger = telemetry.Slog(log)
	// A job whose worker process died stays "running"; River's rescuer retries it after
	// this long (its default, an hour, is too long for this pipeline).
	rcfg.JobTimeout = cfg.RiverJobTimeout
	rcfg.RescueStuckJobsAfter = cfg.RiverRescueAfter
	// River fetches a queue at most once per cooldown, RIVER_WORKERS jobs at a time: at
	// its default (100 ms) a backlog of documents left most workers idle (issue 15).
	rcfg.FetchCooldown = cfg.RiverFetchCooldown
	// Only an index's owner may reindex it: under the runtime role River's nightly
	// reindex would fail on every index, so it is left to the owner (RUNBOOK).
	if owns, err := store.OwnsRiverJobs(ctx, pool); err != nil {
		return err
	} else if !owns {
		rcfg.ReindexerIndexNames = []string{}
		log.Info().Msg("River's nightly reindex is off: this role does not own river_job (the owner reindexes, see RUNBOOK)")
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), rcfg)
	if err != nil {
		return fmt.Errorf("river: %w", err)
	}
	metrics := consumer.NewMetrics(reg)
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "trustdocs_trust_cache_writes_total", Help: "trust_cache items written (refusals of stale versions not counted).",
	}, func() float64 { return float64(deps.CacheWrites.Load()) }))
	var consumers []*consumer.Consumer
	queueURLs := map[string]string{}
	for _, q := range cfg.Queues() {
		url, err := infra.QueueURL(ctx, cfg, clients.SQS, q)
		if err != nil {
			return err
		}
		dlq, err := infra.QueueURL(ctx, cfg, clients.SQS, cfg.DLQ(q))
		if err != nil {
			return err
		}
		queueURLs[q], queueURLs[cfg.DLQ(q)] = url, dlq
		consumers = append(consumers, consumer.New(consumer.Options{
			Queue: q, QueueURL: url, DLQURL: dlq, Concurrency: cfg.ConsumerConcurrency,
			// A batch must commit well inside its visibility timeout, or another consumer
			// gets it meanwhile (harmless, the inbox dedupes, but wasted).
			BatchBudget: cfg.VisibilityTimeout / 2,
			// Shutdown lets the receive in flight finish rather than abandon it (an
			// abandoned long poll can still be handed messages, which then sit invisible
			// until their timeout), so the long poll bounds how fast SIGTERM completes.
			WaitTime: 10,
		}, clients.SQS, pool, rc, workers.JobsFor, metrics, log))
	}

	// What on-call alerts on (docs/RUNBOOK.md): queue and DLQ depth, and failed jobs.
	reg.MustRegister(
		telemetry.NewScrapeGauge("trustdocs_queue_messages", "SQS messages per queue and DLQ, visible or in flight, read at scrape.",
			[]string{"queue", "state"}, 5*time.Second, log, queueDepths(clients.SQS, queueURLs)),
		telemetry.NewScrapeGauge("trustdocs_river_jobs_failed", "River jobs discarded (out of attempts), retryable (failing) or cancelled (given up on purpose), by kind; kind=\"all\" is the total.",
			[]string{"state", "kind"}, 5*time.Second, log, failedJobs(pool)),
		telemetry.NewScrapeGauge("trustdocs_packs_stuck", "Packs draft longer than STUCK_PACK_AFTER (status=draft) or issued and unsigned longer than UNSIGNED_PACK_AFTER (status=issued).",
			[]string{"status"}, 30*time.Second, log, stuckPacks(pool, cfg.Stuck)),
		telemetry.NewScrapeGauge("trustdocs_envelopes_stuck", "Envelopes still sent longer than ENVELOPE_EXPIRES_AFTER (past the provider's expiry), by provider.",
			[]string{"provider"}, 30*time.Second, log, stuckEnvelopes(pool, cfg.Stuck, provider.Name())))
	// Bind first, start work after: a worker that cannot serve its health and metrics
	// must not take jobs it would then abandon.
	srv := telemetry.NewServer(log, reg, checks)
	if cfg.Pprof {
		srv.ServePprof(cfg.PprofRemote)
	}
	addr, err := srv.Listen(cfg.WorkerAddr)
	if err != nil {
		return fmt.Errorf("WORKER_ADDR %s: %w", cfg.WorkerAddr, err)
	}
	// River gets its own context: stopping is driven below, so in-flight jobs can finish.
	if err := rc.Start(context.WithoutCancel(ctx)); err != nil {
		_ = srv.Shutdown(context.Background())
		return fmt.Errorf("river start: %w", err)
	}
	var wg sync.WaitGroup
	for _, c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Run(ctx) // returns once ctx is cancelled and its batches in hand are done
		}()
	}
	// Once started (a worker that cannot start says only why, in one line).
	for _, k := range cfg.Identity.MissingKeys() {
		log.Warn().Str("variable", k).Msg("not set: identities that need its provider's API stay without a verified age (counted)")
	}
	log.Info().Str("addr", addr.String()).Str("version", telemetry.Version()).Int("gogc", gogc).
		Strs("queues", cfg.Queues()).Int("consumers_per_queue", cfg.ConsumerConcurrency).Msg("worker started")

	<-ctx.Done()
	log.Info().Dur("grace", cfg.ShutdownGrace).Msg("stopping: finishing in-flight work")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	consumed := make(chan struct{})
	go func() { wg.Wait(); close(consumed) }()
	select {
	case <-consumed: // every received batch is committed or released
	case <-sctx.Done():
		log.Warn().Msg("grace period over with batches in flight; SQS redelivers them")
	}
	_ = srv.Shutdown(sctx)
	if err := rc.Stop(sctx); err != nil {
		log.Warn().Err(err).Msg("grace period over: cancelling remaining jobs (River retries them)")
		_ = rc.StopAndCancel(context.Background())
	}
	log.Info().Msg("worker stopped")
	return nil
}
