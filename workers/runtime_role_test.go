package workers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/testkit"
	"trustdocs/workers"
)

// setupAsRuntime is setup with the database roles of `pipelinectl migrate --roles`: the
// River client and every job work through a pool logged in as the runtime role, on
// River's tables as migrate left them (the client migrates nothing). The test reads
// back through the same pool, so its reads need no more than the role has.
func setupAsRuntime(t *testing.T) *bundle {
	t.Helper()
	cfg := testkit.Config(t)
	admin := testkit.DB(t, &cfg)
	pool := testkit.Roles(t, cfg, admin).RuntimePool
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	deps := testDeps(cfg, pool, clients, rep)
	rcfg := workers.RiverConfig(deps, 4)
	workers.RegisterPrune(rcfg.Workers, deps, cfg.Keep) // as cmd/worker does
	rcfg.PeriodicJobs = append(rcfg.PeriodicJobs, workers.PrunePeriodicJob())
	rcfg.FetchCooldown, rcfg.FetchPollInterval = 20*time.Millisecond, 50*time.Millisecond
	rc, err := river.NewClient(riverpgxv5.New(pool), rcfg) // periodic jobs kept: the leader queues them as in production
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	require.NoError(t, rc.Start(ctx))
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	return &bundle{ctx: ctx, cfg: cfg, pool: pool, aws: clients, rep: rep, river: rc, deps: deps}
}

// TestJobsWorkAsTheRuntimeRole works the job kinds beyond the doc pack's (those run as
// the runtime role in cmd's TestPipelineRunsAsTheRuntimeRole) with River on a runtime
// pool: its leader's periodic jobs (the prune, the daily roll), identity and background
// check webhooks to badges and the trust cache, risk events to scored windows with
// unique recomputes, and an outbound event. No job fails for want of a privilege.
func TestJobsWorkAsTheRuntimeRole(t *testing.T) {
	t.Parallel()
	b := setupAsRuntime(t)
	const user = "usr_t_2002"
	now := time.Now().UTC()

	b.deliverAs(t, "persona", "p1", personaEvent("evt_p_1", "inquiry.approved", now.Add(-time.Hour).Format("2006-01-02T15:04:05.000Z")))
	b.emit(t, "evt_bgreq_1", events.BackgroundCheckAsked, now.Add(-time.Hour), events.BackgroundCheckRequest{
		UserID: user, Provider: "checkr", CandidateID: "cand_5f1e", InvitationID: "inv_77aa", Package: "basic_us"})
	b.settle(t) // the request first: a webhook that overtakes it retries for hours
	b.deliverAs(t, "checkr", "c1", checkr("ck_1", "report.completed", now.Add(-30*time.Minute), report("clear")))
	for i := range 6 {
		b.emit(t, fmt.Sprintf("evt_leg_%d", i), events.LegCompleted, now.Add(-time.Duration(i)*24*time.Hour),
			events.LegCompletion{BookingID: "bkg_1", LegID: fmt.Sprintf("leg_%d", i), UserIDs: []string{user}})
	}
	b.emit(t, "evt_late_1", events.DeliveryLate, now, events.RiskSignal{UserID: user})
	b.settle(t)

	item := b.cache(t, user)
	require.True(t, item.IDVPassed)
	require.True(t, item.TrustedPro)
	require.NotNil(t, item.RiskScore)
	require.Equal(t, b.version(t, user), item.Version)
	require.Equal(t, 2, b.scalar(t, `select count(*) from trust_risk_signal where user_id = $1`, user))

	// The leader queued and worked its periodic jobs on start.
	b.waitFor(t, "the periodic jobs", func() bool {
		return b.scalar(t, `select count(distinct kind) from river_job where kind in ('prune_operational_tables', 'roll_risk_windows')
			and state = 'completed'`) == 2
	})
	require.Zero(t, b.scalar(t, `select count(*) from river_job where errors::text like '%permission denied%'`), "no job lacked a privilege")
	require.Zero(t, b.scalar(t, `select count(*) from river_job where state in ('discarded', 'retryable', 'cancelled')`))
}
