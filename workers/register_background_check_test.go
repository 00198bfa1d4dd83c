package workers

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/jobmeta"
)

// bgRequest is a trust.background_check.requested for user with a candidate of the
// test's own.
func (b *jobTest) bgRequest(user string) RegisterBackgroundCheckArgs {
	return RegisterBackgroundCheckArgs{EventID: b.id("evt_bgreq"), At: testNow.Add(-24 * time.Hour),
		Request: events.BackgroundCheckRequest{UserID: user, Provider: "checkr", CandidateID: b.id("cand"), InvitationID: "inv_1", Package: "basic_us"}}
}

func TestJobRegisterBackgroundCheck(t *testing.T) {
	t.Parallel()
	db := jobDB(t)

	t.Run("maps the candidate to the user, invites and refreshes the cache", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		args := b.bgRequest(user)
		res, err := work(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: args.EventID, UserIDs: []string{user}, CandidateID: args.Request.CandidateID},
			jobmeta.Of(res.Job.Metadata))

		require.Equal(t, user, scalar[string](t, b, `select user_id from bg_candidate where provider = 'checkr' and candidate_id = $1
			and package = 'basic_us' and invitation_id = 'inv_1' and requested_at = $2`, args.Request.CandidateID, args.At))
		require.Equal(t, "invited", scalar[string](t, b, `select status from bg_status where bg_id = $1 and user_id = $2`,
			BGID(user, args.Request.CandidateID), user))
		require.Equal(t, int64(1), b.version(t, user))
		require.Empty(t, b.badges(t, user))
		requireRefreshes(t, b, b.inserted(t, res), user)
	})

	t.Run("a repeated request changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))

		res, err := work(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from bg_status where user_id = $1`, user))
		require.Equal(t, int64(1), b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})
}
