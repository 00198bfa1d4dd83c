package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/trust"
)

// RefreshTrustCacheArgs rewrites one user's trust_cache item from PostgreSQL. At is set
// for a refresh scheduled at a badge expiry (the item must drop the badge then).
type RefreshTrustCacheArgs struct {
	UserID string    `json:"user_id" river:"unique"`
	At     time.Time `json:"at,omitzero" river:"unique"`
}

func (RefreshTrustCacheArgs) Kind() string { return "refresh_trust_cache" }

func (a RefreshTrustCacheArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{UserIDs: []string{a.UserID}}
}

// uniqueWhileWaiting makes a job unique by its args while it waits or runs, but not once
// completed, so a change after a run always gets a run of its own. River requires the
// running state in the set; workers that must not miss a change made while they run
// re-check under the user's trust lock before completing (see RefreshTrustCacheWorker).
var uniqueWhileWaiting = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

func (RefreshTrustCacheArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTrust, UniqueOpts: uniqueWhileWaiting}
}

// RefreshTrustCacheWorker builds the item from one consistent read of the user's trust
// state and writes it on condition that DynamoDB holds an older version. Before it
// completes it looks at the version again under the user's trust lock: a change that
// committed meanwhile (whose own refresh was skipped as a duplicate of this running job)
// makes it go round again, and a change that commits later finds this job completed and
// queues a new one. So the newest version always reaches DynamoDB, and a burst of
// changes costs few writes.
type RefreshTrustCacheWorker struct {
	river.WorkerDefaults[RefreshTrustCacheArgs]
	deps *Deps
}

// refreshRounds bounds how often one run chases a moving version before it lets River
// retry it later.
const refreshRounds = 5

func (w *RefreshTrustCacheWorker) Work(ctx context.Context, job *river.Job[RefreshTrustCacheArgs]) error {
	user := job.Args.UserID
	if !job.Args.At.IsZero() {
		// A badge expired: the state changed with time, not with an event, so it gets a
		// version of its own (an equal version would be refused by the conditional put).
		if err := w.bump(ctx, user); err != nil {
			return err
		}
	}
	for round := 0; round < refreshRounds; round++ {
		item, err := writeTrustCache(ctx, w.deps, user)
		if err != nil {
			return err
		}

		tx, err := w.deps.DB.Begin(ctx)
		if err != nil {
			return err
		}
		current, err := store.LockTrustUserTx(ctx, tx, user)
		if err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		if current > item.Version {
			_ = tx.Rollback(ctx)
			continue
		}
		err = completeTx(ctx, tx, job)
		_ = tx.Rollback(ctx)
		return err
	}
	return fmt.Errorf("trust version of %s kept changing over %d rounds; retrying", user, refreshRounds)
}

func (w *RefreshTrustCacheWorker) bump(ctx context.Context, user string) error {
	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := store.BumpTrustVersionTx(ctx, tx, user); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// writeTrustCache builds the user's item from one consistent read and writes it unless
// DynamoDB holds the same or a newer version. It returns the item it built.
func writeTrustCache(ctx context.Context, deps *Deps, user string) (trust.CacheItem, error) {
	item, written, err := deps.Cache.Write(ctx, deps.DB, user, deps.now())
	switch {
	case err != nil:
		return item, err
	case !written:
		deps.Log.Debug().Str("user_id", user).Int64("version", item.Version).Msg("trust cache already at this version or newer")
	default:
		deps.CacheWrites.Add(1)
		deps.Log.Info().Str("user_id", user).Int64("version", item.Version).Strs("badges", item.Badges).
			Str("risk_window", item.RiskWindow).Time("valid_until", item.ValidUntil).Msg("trust cache written")
	}
	return item, nil
}
