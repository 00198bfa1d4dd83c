package workers_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"trustdocs/bootstrap"
	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/esign"
	"trustdocs/events"
	"trustdocs/infra"
	"trustdocs/testkit"
	"trustdocs/trustcache"
	"trustdocs/workers"
)

type bundle struct {
	ctx   context.Context
	cfg   config.Config
	pool  *pgxpool.Pool
	aws   *infra.AWS
	rep   *bootstrap.Report
	river *river.Client[pgx.Tx]
	deps  *workers.Deps
}

// testDeps are the workers' dependencies on the test's database, bucket, topic and
// table, with the sandbox e-sign provider.
func testDeps(cfg config.Config, pool *pgxpool.Pool, clients *infra.AWS, rep *bootstrap.Report) *workers.Deps {
	return &workers.Deps{DB: pool, SNS: clients.SNS, PipelineTopicARN: rep.TopicARNs[cfg.PipelineTopic],
		Docs: docstore.Store{S3: clients.S3, Bucket: cfg.DocsBucket, Env: cfg.DocsEnv}, ESign: esign.Sandbox{}, Log: zerolog.Nop(),
		Cache:          trustcache.Writer{Table: trustcache.Table{DB: clients.DynamoDB, Name: cfg.TrustCacheTable}, WindowDays: cfg.RiskWindowDays},
		RiskWindowDays: cfg.RiskWindowDays}
}

// setup starts a real River client with every worker registered.
func setup(t *testing.T, opts ...func(*workers.Deps)) *bundle {
	t.Helper()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	deps := testDeps(cfg, pool, clients, rep)
	for _, o := range opts {
		o(deps)
	}
	rcfg := workers.RiverConfig(deps, 4)
	rcfg.PeriodicJobs = nil // tests queue what they need
	rcfg.FetchCooldown, rcfg.FetchPollInterval = 20*time.Millisecond, 50*time.Millisecond
	rc, err := river.NewClient(riverpgxv5.New(pool), rcfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	return &bundle{ctx: ctx, cfg: cfg, pool: pool, aws: clients, rep: rep, river: rc, deps: deps}
}

func (b *bundle) docs() docstore.Store { return b.deps.Docs.(docstore.Store) }

func (b *bundle) table() trustcache.Table { return b.deps.Cache.(trustcache.Writer).Table }

func (b *bundle) waitJobs(t *testing.T, kind string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var done int
		require.NoError(t, b.pool.QueryRow(b.ctx, `select count(*) from river_job where kind = $1 and state = 'completed'`, kind).Scan(&done))
		if done >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d %s jobs not completed in time", n, kind)
}

func TestOutboundEventIsPublishedOnlyIfItsTransactionCommits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	listener := b.listen(t)

	event := func(id string) events.Envelope {
		return events.Envelope{ID: id, Type: events.DocPackIssued, Source: "trustdocs", OccurredAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
			Data: json.RawMessage(`{"pack_id":"dpk_1","leg_id":"leg_1"}`)}
	}
	// Rolled back: the state change did not happen, so neither does its event.
	tx, err := b.pool.Begin(b.ctx)
	require.NoError(t, err)
	_, err = b.river.InsertTx(b.ctx, tx, workers.PublishEventArgs{Event: event("evt_out_rolled_back")}, nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(b.ctx))
	// Committed, and inserted twice: one job, one publish.
	for range 2 {
		tx, err = b.pool.Begin(b.ctx)
		require.NoError(t, err)
		_, err = b.river.InsertTx(b.ctx, tx, workers.PublishEventArgs{Event: event("evt_out_committed")}, nil)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(b.ctx))
	}
	b.waitJobs(t, "publish_event", 1)

	got := testkit.Heard(t, b.aws, listener) // checks the type attribute of each message
	require.Len(t, got, 1)
	env := got[0]
	require.Equal(t, events.DocPackIssued, env.Type)
	require.Equal(t, event("evt_out_committed").ID, env.ID)
	require.JSONEq(t, `{"pack_id":"dpk_1","leg_id":"leg_1"}`, string(env.Data))
}

func TestLegCompletedCountsOncePerParty(t *testing.T) {
	t.Parallel()
	b := setup(t)
	env := events.Envelope{ID: "evt_leg_done", Type: events.LegCompleted, Source: "booking", OccurredAt: time.Date(2026, 12, 6, 18, 5, 0, 0, time.UTC),
		Data: json.RawMessage(`{"booking_id":"bkg_1","leg_id":"leg_1","user_ids":["usr_a","usr_b","usr_c"]}`)}
	params, err := workers.JobsFor(env)
	require.NoError(t, err)
	// The same job twice (a River retry after a crash would do the same): still one row per party.
	_, err = b.river.InsertMany(b.ctx, append(params, params...))
	require.NoError(t, err)
	b.waitJobs(t, "record_risk_event", 2)

	rows, err := b.pool.Query(b.ctx, `select user_id, kind, occurred_at from risk_event order by user_id`)
	require.NoError(t, err)
	var users []string
	for rows.Next() {
		var u, kind string
		var at time.Time
		require.NoError(t, rows.Scan(&u, &kind, &at))
		require.Equal(t, "completed_booking", kind)
		require.True(t, at.Equal(env.OccurredAt))
		users = append(users, u)
	}
	require.Equal(t, []string{"usr_a", "usr_b", "usr_c"}, users)
}

func TestEveryRiskSignalMapsToItsCounter(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		events.DisputeOpened: "disputes_opened", events.RefundRequested: "refunds_asked",
		events.CancellationRecorded: "cancellations", events.DeliveryLate: "late_delivery",
		events.ChargeFailed: "charge_failures", events.ClickFlagged: "bad_clicks",
	}
	require.Len(t, events.RiskSignals, len(want))
	for _, typ := range events.RiskSignals {
		params, err := workers.JobsFor(events.Envelope{ID: "e", Type: typ, Data: json.RawMessage(`{"user_id":"u"}`)})
		require.NoError(t, err, typ)
		require.Len(t, params, 1)
		require.Equal(t, want[typ], params[0].Args.(workers.RecordRiskEventArgs).Signal, typ)
	}
	params, err := workers.JobsFor(events.Envelope{ID: "e", Type: events.RiskWindowRecompute,
		Data: json.RawMessage(`{"user_id":"u","window_start":"2026-08-26","window_end":"2026-11-24"}`)})
	require.NoError(t, err)
	require.Equal(t, workers.RecomputeRiskArgs{UserID: "u", Start: "2026-08-26", End: "2026-11-24"}, params[0].Args)
}
