package workers

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
)

func TestJobRecordRiskEvent(t *testing.T) {
	t.Parallel()
	db := jobDB(t)
	completed := func(b *jobTest) RecordRiskEventArgs {
		return RecordRiskEventArgs{EventID: b.id("evt_leg_done"), Signal: "completed_booking", UserIDs: []string{b.id("usr_a"), b.id("usr_b")},
			OccurredAt: testNow.Add(-time.Hour), BookingID: "bkg_1", LegID: b.id("leg")}
	}

	t.Run("records a ledger row per user and queues their recomputes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		args := completed(b)
		res, err := work(t, b, &RecordRiskEventWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: args.EventID, LegID: args.LegID, UserIDs: args.UserIDs}, jobmeta.Of(res.Job.Metadata))

		require.Equal(t, 2, scalar[int](t, b, `select count(*) from risk_event where event_id = $1 and kind = 'completed_booking'
			and occurred_at = $2 and booking_id = 'bkg_1' and leg_id = $3`, args.EventID, args.OccurredAt, args.LegID))
		jobs := b.inserted(t, res)
		require.Equal(t, []string{"recompute_risk", "recompute_risk"}, kinds(jobs))
		for i, j := range jobs {
			require.Equal(t, RecomputeRiskArgs{UserID: args.UserIDs[i]}, argsOf[RecomputeRiskArgs](t, j))
			require.Equal(t, []string{args.UserIDs[i]}, j.Meta.UserIDs)
			require.Equal(t, QueueTrust, j.Queue)
		}
	})

	t.Run("a replayed event records nothing and queues nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		args := completed(b)
		mustComplete(t, b, &RecordRiskEventWorker{deps: b.deps}, args)

		res, err := work(t, b, &RecordRiskEventWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 2, scalar[int](t, b, `select count(*) from risk_event where event_id = $1`, args.EventID))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a user new to a known event is recorded and every party recomputed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		args := completed(b)
		first := args
		first.UserIDs = args.UserIDs[:1]
		mustComplete(t, b, &RecordRiskEventWorker{deps: b.deps}, first)

		res, err := work(t, b, &RecordRiskEventWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 2, scalar[int](t, b, `select count(*) from risk_event where event_id = $1`, args.EventID))
		require.Equal(t, []string{"recompute_risk", "recompute_risk"}, kinds(b.inserted(t, res)))
	})
}
