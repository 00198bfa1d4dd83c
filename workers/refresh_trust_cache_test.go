package workers

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/trust"
)

// bump bumps user's trust version as a change of their trust sources does.
func bump(ctx context.Context, db store.DB, user string) error {
	return store.InTx(ctx, db, func(tx store.Tx) error { _, err := store.BumpTrustVersionTx(ctx, tx, user); return err })
}

func TestJobRefreshTrustCache(t *testing.T) {
	t.Parallel()
	db := jobDB(t)

	t.Run("writes the user's item at the current version", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.verifyIdentity(t, user)

		res, err := work(t, b, &RefreshTrustCacheWorker{deps: b.deps}, RefreshTrustCacheArgs{UserID: user})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{UserIDs: []string{user}}, jobmeta.Of(res.Job.Metadata))
		require.Len(t, b.cache.written, 1)
		item := b.cache.written[0]
		require.Equal(t, user, item.UserID)
		require.Equal(t, b.version(t, user), item.Version)
		require.Equal(t, []string{trust.BadgeIDVerified}, item.Badges)
		require.True(t, item.IDVPassed)
		require.Equal(t, int64(1), b.deps.CacheWrites.Load())
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("an item the table already holds is not written again", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		require.NoError(t, bump(b.ctx, b.tx, user))
		b.cache.versions[user] = 1

		res, err := work(t, b, &RefreshTrustCacheWorker{deps: b.deps}, RefreshTrustCacheArgs{UserID: user})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, b.cache.calls)
		require.Empty(t, b.cache.written)
		require.Equal(t, int64(0), b.deps.CacheWrites.Load())
	})

	t.Run("a version that moved while the item was written goes round again", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		require.NoError(t, bump(b.ctx, b.tx, user))
		b.cache.afterRead = func(ctx context.Context, db store.DB, user string) error {
			if b.cache.calls > 1 {
				return nil
			}
			return bump(ctx, db, user) // committed after the item was read
		}

		res, err := work(t, b, &RefreshTrustCacheWorker{deps: b.deps}, RefreshTrustCacheArgs{UserID: user})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 2, b.cache.calls)
		require.Equal(t, []int64{1, 2}, versions(b.cache.written), "the newest version reaches the table")
	})

	t.Run("a version that keeps moving fails the job for a later retry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.cache.afterRead = bump

		res, err := work(t, b, &RefreshTrustCacheWorker{deps: b.deps}, RefreshTrustCacheArgs{UserID: user})
		require.ErrorContains(t, err, "kept changing over 5 rounds")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, refreshRounds, b.cache.calls)
	})

	t.Run("a write the table refuses fails the job for a retry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		b.cache.err = errors.New("dynamodb unavailable")

		res, err := work(t, b, &RefreshTrustCacheWorker{deps: b.deps}, RefreshTrustCacheArgs{UserID: b.id("usr")})
		require.ErrorContains(t, err, "dynamodb unavailable")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, int64(0), b.deps.CacheWrites.Load())
	})

	t.Run("a refresh at a badge expiry bumps the version and drops the badge", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &ApplySocialCheckWorker{deps: b.deps}, b.socialCheck(user, "1", true, testNow.Add(-trust.DefaultBadgePolicy.SocialVerified/2)))
		b.forgetJobs(t)
		expiry := scalar[time.Time](t, b, `select expires_at from trust_badge where user_id = $1`, user)
		b.cache.versions[user] = b.version(t, user) // the item showing the badge is written
		b.deps.Now = func() time.Time { return expiry }

		res, err := work(t, b, &RefreshTrustCacheWorker{deps: b.deps}, RefreshTrustCacheArgs{UserID: user, At: expiry})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, int64(2), b.version(t, user))
		require.Len(t, b.cache.written, 1, "a new version, so the conditional put takes it")
		require.Equal(t, int64(2), b.cache.written[0].Version)
		require.Empty(t, b.cache.written[0].Badges)
		require.False(t, b.cache.written[0].SocialVerified)
	})
}

func versions(items []trust.CacheItem) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.Version)
	}
	return out
}
