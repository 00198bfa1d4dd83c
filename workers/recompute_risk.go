package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/jobmeta"
	"trustdocs/risk"
	"trustdocs/store"
)

// RecomputeRiskArgs recomputes a user's risk snapshots: the window [Start, End) when both
// are set (a risk.window.recompute request), else the user's rolling windows as of today.
type RecomputeRiskArgs struct {
	UserID string `json:"user_id"`
	Start  string `json:"start,omitempty"` // YYYY-MM-DD
	End    string `json:"end,omitempty"`
}

func (RecomputeRiskArgs) Kind() string { return "recompute_risk" }

func (a RecomputeRiskArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{UserIDs: []string{a.UserID}} }

// Unique while waiting or running: a burst of risk events for one user queues one
// recompute. A risk event recorded while a recompute runs is not lost: its ledger
// transaction takes the user's trust lock before queueing, and the recompute counts
// under that lock (see RecordRiskEventWorker).
func (RecomputeRiskArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTrust, UniqueOpts: uniqueWhileWaiting}
}

// RecomputeRiskWorker counts the ledger in each window, scores it with the current
// policy and stores one snapshot per (user, window). Only a snapshot that changed bumps
// the trust version and refreshes the cache, so recomputing the same inputs changes
// nothing at all.
type RecomputeRiskWorker struct {
	river.WorkerDefaults[RecomputeRiskArgs]
	deps *Deps
}

func (w *RecomputeRiskWorker) Work(ctx context.Context, job *river.Job[RecomputeRiskArgs]) error {
	a := job.Args
	windows, err := w.windows(a)
	if err != nil {
		return river.JobCancel(err) // a bad window never gets better with retries
	}
	log := w.deps.Log.With().Str("user_id", a.UserID).Int64("job_id", job.ID).Logger()
	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := recomputeRiskTx(ctx, tx, a.UserID, windows, log); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// recomputeRiskTx scores a user's windows and stores the snapshots; a changed snapshot
// bumps the trust version and queues a cache refresh.
func recomputeRiskTx(ctx context.Context, tx store.Tx, userID string, windows []risk.Window, log zerolog.Logger) error {
	// Lock first, count after: a ledger transaction holding the lock commits before the
	// count starts, so its event is counted.
	if _, err := store.LockTrustUserTx(ctx, tx, userID); err != nil {
		return err
	}
	changed := false
	for _, win := range windows {
		counters, err := store.CountRiskTx(ctx, tx, userID, win)
		if err != nil {
			return err
		}
		result := risk.V1.Score(counters)
		ch, err := store.UpsertRiskSnapshotTx(ctx, tx, risk.Snapshot{
			SignalID: "rsk_" + shortHash(userID+"\x00"+win.String()), UserID: userID, Window: win,
			Counters: counters, Result: result,
		})
		if err != nil {
			return err
		}
		if ch {
			log.Info().Str("window", win.String()).Int("score", result.Score).Bool("insufficient_data", result.Insufficient).
				Int("volume", counters.Volume).Msg("risk snapshot changed")
		}
		changed = changed || ch
	}
	if !changed {
		return nil
	}
	_, err := bumpTrustTx(ctx, tx, userID)
	return err
}

func (w *RecomputeRiskWorker) windows(a RecomputeRiskArgs) ([]risk.Window, error) {
	if a.Start == "" && a.End == "" {
		return risk.RollingWindows(w.deps.RiskWindowDays, w.deps.now()), nil
	}
	start, err1 := time.Parse(time.DateOnly, a.Start)
	end, err2 := time.Parse(time.DateOnly, a.End)
	if err1 != nil || err2 != nil || !start.Before(end) {
		return nil, fmt.Errorf("risk window [%q,%q): want two dates, start before end", a.Start, a.End)
	}
	return []risk.Window{{Start: start, End: end}}, nil
}
