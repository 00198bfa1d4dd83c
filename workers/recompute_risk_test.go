package workers

import (
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
	"trustdocs/risk"
	"trustdocs/store"
)

// ledger records risk events of user, kind at each of the times, as record_risk_event does.
func (b *jobTest) ledger(t *testing.T, user, kind string, at ...time.Time) {
	t.Helper()
	var rows []store.RiskEvent
	for i, a := range at {
		rows = append(rows, store.RiskEvent{EventID: fmt.Sprintf("%s_%s_%d", b.id("evt"), kind, i), UserID: user, Kind: kind, OccurredAt: a})
	}
	_, err := store.InsertRiskEventsTx(b.ctx, b.tx, rows)
	require.NoError(t, err)
}

// snapshot is the stored counters and score of user's window [start, end).
func (b *jobTest) snapshot(t *testing.T, user string, start, end time.Time) (risk.Counters, int) {
	t.Helper()
	var c risk.Counters
	var score int
	require.NoError(t, b.tx.QueryRow(b.ctx, `select disputes_opened, refunds_asked, cancellations, late_delivery, charge_failures,
		bad_clicks, (flags_json->>'volume')::int, score from trust_risk_signal where user_id = $1 and "window" = daterange($2::date, $3::date)`,
		user, start, end).Scan(&c.DisputesOpened, &c.RefundsAsked, &c.Cancellations, &c.LateDelivery, &c.ChargeFailures, &c.BadClicks,
		&c.Volume, &score))
	return c, score
}

func TestJobRecomputeRisk(t *testing.T) {
	t.Parallel()
	db := jobDB(t)
	day := 24 * time.Hour
	// The rolling windows as of testNow end tomorrow (today counts).
	tomorrow := testNow.Truncate(day).Add(day)

	t.Run("scores each rolling window, bumps the version and refreshes the cache", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.ledger(t, user, "completed_booking", testNow, testNow.Add(-day), testNow.Add(-2*day), testNow.Add(-3*day), testNow.Add(-4*day), testNow.Add(-5*day))
		b.ledger(t, user, "disputes_opened", testNow.Add(-40*day)) // in the 90-day window only
		b.ledger(t, user, "late_delivery", testNow)
		b.ledger(t, user, "bad_clicks", testNow.Add(-100*day)) // in neither

		res, err := work(t, b, &RecomputeRiskWorker{deps: b.deps}, RecomputeRiskArgs{UserID: user})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{UserIDs: []string{user}}, jobmeta.Of(res.Job.Metadata))

		c30, score30 := b.snapshot(t, user, tomorrow.Add(-30*day), tomorrow)
		require.Equal(t, risk.Counters{Volume: 6, LateDelivery: 1}, c30)
		require.Equal(t, risk.V1.Score(c30).Score, score30)
		c90, score90 := b.snapshot(t, user, tomorrow.Add(-90*day), tomorrow)
		require.Equal(t, risk.Counters{Volume: 6, LateDelivery: 1, DisputesOpened: 1}, c90)
		require.Equal(t, risk.V1.Score(c90).Score, score90)
		require.Equal(t, 2, scalar[int](t, b, `select count(*) from trust_risk_signal where user_id = $1`, user))
		require.Equal(t, int64(1), b.version(t, user))
		requireRefreshes(t, b, b.inserted(t, res), user)
	})

	t.Run("the same inputs again change nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.ledger(t, user, "charge_failures", testNow.Add(-day))
		mustComplete(t, b, &RecomputeRiskWorker{deps: b.deps}, RecomputeRiskArgs{UserID: user})

		res, err := work(t, b, &RecomputeRiskWorker{deps: b.deps}, RecomputeRiskArgs{UserID: user})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, int64(1), b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a requested window is scored alone", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.ledger(t, user, "refunds_asked", time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		start, end := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

		res, err := work(t, b, &RecomputeRiskWorker{deps: b.deps}, RecomputeRiskArgs{UserID: user, Start: "2026-09-01", End: "2026-10-01"})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		c, _ := b.snapshot(t, user, start, end)
		require.Equal(t, risk.Counters{RefundsAsked: 1}, c, "the end is excluded")
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from trust_risk_signal where user_id = $1`, user))
		requireRefreshes(t, b, b.inserted(t, res), user)
	})

	t.Run("a window that is not two ordered dates cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		for _, args := range []RecomputeRiskArgs{
			{UserID: user, Start: "2026-09-01"},
			{UserID: user, End: "2026-09-01"},
			{UserID: user, Start: "2026-10-01", End: "2026-09-01"},
			{UserID: user, Start: "2026-09-01", End: "2026-09-01"},
			{UserID: user, Start: "2026-13-01", End: "2026-14-01"},
		} {
			res, err := work(t, b, &RecomputeRiskWorker{deps: b.deps}, args)
			require.NoError(t, err)
			require.Equal(t, river.EventKindJobCancelled, res.EventKind, "%+v", args)
			require.Contains(t, res.Job.Errors[0].Error, "want two dates, start before end")
		}
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from trust_risk_signal where user_id = $1`, user))
		require.Equal(t, int64(0), b.version(t, user))
	})
}
