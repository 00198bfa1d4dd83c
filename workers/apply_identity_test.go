package workers

import (
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
	"trustdocs/trust"
)

func TestJobApplyIdentity(t *testing.T) {
	t.Parallel()
	db := jobDB(t)

	t.Run("a passed session with a verified age issues id_verified and refreshes the cache", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		args := b.identity(user, "1")
		res, err := work(t, b, &ApplyIdentityWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: args.EventID, UserIDs: []string{user}}, jobmeta.Of(res.Job.Metadata))

		require.Equal(t, "passed", scalar[string](t, b, `select status from idv_status where user_id = $1 and provider_ref = 'inq_1' and age_verified`, user))
		require.Contains(t, scalar[string](t, b, `select checks_json::text from idv_status where user_id = $1`, user), "selfie_id_comparison")
		require.Equal(t, []string{trust.BadgeIDVerified}, b.badges(t, user))
		require.Equal(t, int64(1), b.version(t, user))
		require.Equal(t, "applied", scalar[string](t, b, `select outcome from webhook_event where dedupe_key = $1 and subject = $2`, args.Update.DedupeKey, user))
		requireRefreshes(t, b, b.inserted(t, res), user, testNow.Add(trust.DefaultBadgePolicy.IDVerified))
	})

	t.Run("an older status changes nothing and bumps no version", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &ApplyIdentityWorker{deps: b.deps}, b.identity(user, "1"))
		older := b.identity(user, "2")
		older.Update.ProviderRef, older.Update.Status, older.Update.ProviderEvt = "inq_1", "pending", "inquiry.created"

		res, err := work(t, b, &ApplyIdentityWorker{deps: b.deps}, older)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "passed", scalar[string](t, b, `select status from idv_status where user_id = $1`, user))
		require.Equal(t, int64(1), b.version(t, user))
		require.Equal(t, []string{trust.BadgeIDVerified}, b.badges(t, user))
		require.Equal(t, "applied", scalar[string](t, b, `select outcome from webhook_event where dedupe_key = $1`, older.Update.DedupeKey))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a duplicate provider event changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		args := b.identity(user, "1")
		mustComplete(t, b, &ApplyIdentityWorker{deps: b.deps}, args)
		again := args
		again.Update.Status, again.ReceiptID = "failed", "rcp_again" // would end the session if applied

		res, err := work(t, b, &ApplyIdentityWorker{deps: b.deps}, again)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "rcp_1", scalar[string](t, b, `select receipt_id from webhook_event where dedupe_key = $1`, args.Update.DedupeKey))
		require.Equal(t, int64(1), b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("an event without status, age or checks is recorded as ignored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		args := b.identity(user, "1")
		args.Update.Status, args.Update.AgeVerified, args.Update.Checks = "", false, nil

		res, err := work(t, b, &ApplyIdentityWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "ignored", scalar[string](t, b, `select outcome from webhook_event where dedupe_key = $1 and subject = $2`, args.Update.DedupeKey, user))
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from idv_status where user_id = $1`, user))
		require.Equal(t, int64(0), b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("an event without a user is recorded as unknown_subject", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		args := b.identity("", "1")

		res, err := work(t, b, &ApplyIdentityWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from webhook_event where dedupe_key = $1 and outcome = 'unknown_subject'
			and subject is null`, args.Update.DedupeKey))
		require.Empty(t, b.inserted(t, res))
	})
}
