package workers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/store"
	"trustdocs/trust"
)

// lockTrustUsersTx takes the trust locks of several users in a fixed order, so two
// transactions locking overlapping sets cannot deadlock.
func lockTrustUsersTx(ctx context.Context, tx store.Tx, users []string) error {
	sorted := slices.Clone(users)
	slices.Sort(sorted)
	for _, u := range slices.Compact(sorted) {
		if _, err := store.LockTrustUserTx(ctx, tx, u); err != nil {
			return err
		}
	}
	return nil
}

// trustJobTx is the frame of a job that changes one user's trust sources: in one
// transaction, changeTrustTx, then the job's completion.
func trustJobTx[T river.JobArgs](ctx context.Context, deps *Deps, job *river.Job[T], userID string, log zerolog.Logger,
	change func(tx store.Tx) (changed bool, err error)) error {
	tx, err := deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := changeTrustTx(ctx, tx, deps, userID, log, func() (bool, error) { return change(tx) }); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// changeTrustTx applies change under the user's trust lock, so changes of one user never
// interleave, then settles it (settleTrustTx).
func changeTrustTx(ctx context.Context, tx store.Tx, deps *Deps, userID string, log zerolog.Logger, change func() (changed bool, err error)) error {
	if _, err := store.LockTrustUserTx(ctx, tx, userID); err != nil {
		return err
	}
	changed, err := change()
	if err != nil {
		return err
	}
	return settleTrustTx(ctx, tx, deps, userID, changed, log)
}

// settleTrustTx finishes a change to a user's trust sources, in the transaction that made
// it (holding the user's trust lock): it re-derives the badges and, if the sources or the
// badges changed, bumps the trust version and schedules a cache refresh — now, and at
// each new badge expiry, when the item must stop showing it.
func settleTrustTx(ctx context.Context, tx store.Tx, deps *Deps, userID string, sourcesChanged bool, log zerolog.Logger) error {
	now := deps.now()
	sources, badges, err := store.BadgeInputsTx(ctx, tx, userID)
	if err != nil {
		return err
	}
	changes := trust.DeriveBadges(userID, sources, badges, deps.badges(), now)
	if err := store.ApplyBadgeChangesTx(ctx, tx, userID, changes, now); err != nil {
		return err
	}
	if !sourcesChanged && len(changes) == 0 {
		return nil
	}
	v, err := bumpTrustTx(ctx, tx, userID)
	if err != nil {
		return err
	}
	for _, c := range changes {
		log.Info().Str("user_id", userID).Str("badge", c.Kind).Str("source_id", c.SourceID).Str("action", c.Action).
			Str("reason", c.Reason).Int64("trust_version", v).Msg("badge " + c.Action)
		if !c.Expires.IsZero() {
			if err := scheduleRefreshTx(ctx, tx, userID, c.Expires); err != nil {
				return err
			}
		}
	}
	return nil
}

// bumpTrustTx records a change the trust_cache item shows: a new trust version and, in
// the same transaction, a refresh queued now, so no version is left unwritten.
func bumpTrustTx(ctx context.Context, tx store.Tx, userID string) (int64, error) {
	v, err := store.BumpTrustVersionTx(ctx, tx, userID)
	if err != nil {
		return 0, err
	}
	return v, scheduleRefreshTx(ctx, tx, userID, time.Time{})
}

// scheduleRefreshTx queues a trust_cache refresh of the user, at a time or (zero) now.
// Refreshes are unique per (user, time) while waiting or running, so a burst of changes
// becomes one refresh.
func scheduleRefreshTx(ctx context.Context, tx store.Tx, userID string, at time.Time) error {
	var opts *river.InsertOpts
	if !at.IsZero() {
		o := RefreshTrustCacheArgs{}.InsertOpts()
		o.ScheduledAt = at
		opts = &o
	}
	if _, err := river.ClientFromContext[store.Tx](ctx).InsertTx(ctx, tx, RefreshTrustCacheArgs{UserID: userID, At: at.UTC()}, opts); err != nil {
		return fmt.Errorf("schedule trust cache refresh of %s: %w", userID, err)
	}
	return nil
}
