package workers

import (
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
)

func TestJobRollRiskWindows(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	since := testNow.Truncate(day).Add(-90 * day) // the start of yesterday's 90-day window

	t.Run("users without ledger rows since the longest window are not rolled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, jobDB(t))
		b.ledger(t, b.id("usr_idle"), "completed_booking", since.Add(-time.Second))

		res, err := work(t, b, &RollRiskWindowsWorker{deps: b.deps}, RollRiskWindowsArgs{})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.True(t, jobmeta.Of(res.Job.Metadata).Empty(), "a global job names no id")
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("queues a recompute for each user with ledger rows since the longest window, in batches", func(t *testing.T) {
		t.Parallel()
		b := setup(t, jobDB(t))
		var want []string
		for i := range rollBatch + 1 {
			want = append(want, fmt.Sprintf("usr_roll_%03d", i))
			b.ledger(t, want[i], "completed_booking", since.Add(time.Duration(i)*time.Minute))
		}
		b.ledger(t, "usr_roll_idle", "disputes_opened", since.Add(-time.Second))

		res, err := work(t, b, &RollRiskWindowsWorker{deps: b.deps}, RollRiskWindowsArgs{})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)

		var got []string
		for _, j := range b.inserted(t, res) {
			require.Equal(t, "recompute_risk", j.Kind)
			a := argsOf[RecomputeRiskArgs](t, j)
			require.Equal(t, RecomputeRiskArgs{UserID: a.UserID}, a, "rolling windows: no explicit window")
			require.Equal(t, jobmeta.Meta{UserIDs: []string{a.UserID}}, j.Meta)
			got = append(got, a.UserID)
		}
		require.ElementsMatch(t, want, got)
	})
}
