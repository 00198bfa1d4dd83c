package workers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/trust"
)

// socialCheck is a trust.social_verification.checked of user's Instagram account.
func (b *jobTest) socialCheck(user, n string, verified bool, at time.Time) ApplySocialCheckArgs {
	return ApplySocialCheckArgs{EventID: b.id("evt_soc_" + n), Check: events.SocialCheck{UserID: user, Platform: "instagram",
		Handle: "@handle_" + n, Verified: verified, Snapshot: json.RawMessage(`{"followers":48210}`), CheckedAt: at}}
}

func TestJobApplySocialCheck(t *testing.T) {
	t.Parallel()
	db := jobDB(t)
	checkedAt := testNow.Add(-time.Hour)

	t.Run("a verified check issues social_verified until the check is too old", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		args := b.socialCheck(user, "1", true, checkedAt)
		res, err := work(t, b, &ApplySocialCheckWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: args.EventID, UserIDs: []string{user}}, jobmeta.Of(res.Job.Metadata))

		require.Equal(t, "@handle_1", scalar[string](t, b, `select handle from social_verification where user_id = $1 and verified
			and snapshot_json->>'followers' = '48210' and last_checked_at = $2`, user, checkedAt))
		require.Equal(t, []string{trust.BadgeSocialVerified}, b.badges(t, user))
		require.Equal(t, int64(1), b.version(t, user))
		requireRefreshes(t, b, b.inserted(t, res), user, checkedAt.Add(trust.DefaultBadgePolicy.SocialVerified))
	})

	t.Run("an older check changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &ApplySocialCheckWorker{deps: b.deps}, b.socialCheck(user, "1", true, checkedAt))

		res, err := work(t, b, &ApplySocialCheckWorker{deps: b.deps}, b.socialCheck(user, "0", false, checkedAt.Add(-time.Hour)))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "@handle_1", scalar[string](t, b, `select handle from social_verification where user_id = $1 and verified`, user))
		require.Equal(t, []string{trust.BadgeSocialVerified}, b.badges(t, user))
		require.Equal(t, int64(1), b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a newer unverified check revokes social_verified", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &ApplySocialCheckWorker{deps: b.deps}, b.socialCheck(user, "1", true, checkedAt.Add(-time.Hour)))
		b.forgetJobs(t)

		res, err := work(t, b, &ApplySocialCheckWorker{deps: b.deps}, b.socialCheck(user, "2", false, checkedAt))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, []string{"social_verified revoked: platform check is not verified"}, b.badges(t, user))
		require.Equal(t, int64(2), b.version(t, user))
		requireRefreshes(t, b, b.inserted(t, res), user)
	})

	t.Run("a verified check too old to give the badge is stored and gives none", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		old := testNow.Add(-trust.DefaultBadgePolicy.SocialVerified - time.Hour)

		res, err := work(t, b, &ApplySocialCheckWorker{deps: b.deps}, b.socialCheck(user, "1", true, old))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from social_verification where user_id = $1`, user))
		require.Empty(t, b.badges(t, user))
		requireRefreshes(t, b, b.inserted(t, res), user)
	})
}
