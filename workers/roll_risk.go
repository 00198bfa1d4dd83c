package workers

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/jobmeta"
	"trustdocs/store"
)

// RollRiskWindowsArgs rolls every user's rolling risk windows to today.
type RollRiskWindowsArgs struct{}

func (RollRiskWindowsArgs) Kind() string { return "roll_risk_windows" }

// Concerns nothing in particular: the roll is about every user; see Global.
func (RollRiskWindowsArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{} }

// Global: a roll concerns every user, none by id.
func (RollRiskWindowsArgs) Global() bool { return true }

func (RollRiskWindowsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTrust, UniqueOpts: uniqueWhileWaiting}
}

// rollBatch is how many recompute jobs one insert carries.
const rollBatch = 500

// RollRiskWindowsWorker queues a rolling recompute for each user whose windows can change
// today: those with ledger rows since the start of yesterday's longest window (an event
// that just slid out changes the counts too). Users without such rows have empty
// windows yesterday and today, so their snapshots and cache items stay as they are.
type RollRiskWindowsWorker struct {
	river.WorkerDefaults[RollRiskWindowsArgs]
	deps *Deps
}

func (w *RollRiskWindowsWorker) Work(ctx context.Context, job *river.Job[RollRiskWindowsArgs]) error {
	if len(w.deps.RiskWindowDays) == 0 {
		return river.JobCancel(errors.New("no rolling risk windows configured (RISK_WINDOWS)"))
	}
	longest := slices.Max(w.deps.RiskWindowDays)
	today := w.deps.now().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -longest)
	users, err := store.RiskUsersSince(ctx, w.deps.DB, since)
	if err != nil {
		return err
	}
	client := river.ClientFromContext[store.Tx](ctx)
	for start := 0; start < len(users); start += rollBatch {
		batch := users[start:min(start+rollBatch, len(users))]
		params := make([]river.InsertManyParams, len(batch))
		for i, u := range batch {
			params[i] = river.InsertManyParams{Args: RecomputeRiskArgs{UserID: u}}
		}
		// Through deps.DB, like every write of a job (a test's transaction included).
		if err := store.InTx(ctx, w.deps.DB, func(tx store.Tx) error {
			_, err := client.InsertManyTx(ctx, tx, params)
			return err
		}); err != nil {
			return err
		}
		w.deps.Log.Info().Int("queued", start+len(batch)).Int("users", len(users)).Str("day", today.Format(time.DateOnly)).
			Msg("rolling risk windows")
	}
	return nil
}
