package workers

import (
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"trustdocs/jobmeta"
	"trustdocs/webhook"
)

// The trust states the single-job tests of the trust kinds start from, and what they
// check after a change.

// identity is a passed identity session with a verified age for user: what issues
// id_verified.
func (b *jobTest) identity(user, n string) ApplyIdentityArgs {
	return ApplyIdentityArgs{EventID: b.id("whk_" + n), Provider: "persona", ReceiptID: "rcp_" + n, ReceivedAt: testNow,
		Update: webhook.IdentityUpdate{Provider: "persona", ProviderEvt: "inquiry.approved", DedupeKey: b.id("persona_" + n),
			ProviderRef: "inq_" + n, UserID: user, Status: "passed", AgeVerified: true, At: testNow,
			Checks: []webhook.Check{{Name: "selfie_id_comparison", Status: "passed"}}}}
}

// verifyIdentity gives user an id_verified badge.
func (b *jobTest) verifyIdentity(t *testing.T, user string) {
	t.Helper()
	mustComplete(t, b, &ApplyIdentityWorker{deps: b.deps}, b.identity(user, "idv_fixture"))
	b.forgetJobs(t)
}

// version is user's trust version (0: none yet).
func (b *jobTest) version(t *testing.T, user string) int64 {
	t.Helper()
	return scalar[int64](t, b, `select coalesce((select version from trust_user where user_id = $1), 0)`, user)
}

// badges lists user's badges as "kind" for active ones and "kind revoked: reason" for
// revoked ones, in issue order.
func (b *jobTest) badges(t *testing.T, user string) []string {
	t.Helper()
	return column(t, b, `select kind || coalesce(' revoked: ' || revoked_reason, '') from trust_badge
		where user_id = $1 order by issued_at, badge_id`, user)
}

// requireRefreshes requires jobs to be trust cache refreshes of user: one now, then one
// at each badge expiry in expiries, scheduled then.
func requireRefreshes(t *testing.T, b *jobTest, jobs []insertedJob, user string, expiries ...time.Time) {
	t.Helper()
	want := []string{"refresh_trust_cache"}
	expected := []rivertest.ExpectedJob{{Args: RefreshTrustCacheArgs{}, Opts: &rivertest.RequireInsertedOpts{Queue: QueueTrust}}}
	for range expiries {
		want = append(want, "refresh_trust_cache")
	}
	require.Equal(t, want, kinds(jobs))
	require.Equal(t, RefreshTrustCacheArgs{UserID: user}, argsOf[RefreshTrustCacheArgs](t, jobs[0]))
	for i, at := range expiries {
		require.Equal(t, RefreshTrustCacheArgs{UserID: user, At: at}, argsOf[RefreshTrustCacheArgs](t, jobs[i+1]))
		expected = append(expected, rivertest.ExpectedJob{Args: RefreshTrustCacheArgs{},
			Opts: &rivertest.RequireInsertedOpts{Queue: QueueTrust, ScheduledAt: at, State: rivertype.JobStateScheduled}})
	}
	for _, j := range jobs {
		require.Equal(t, jobmeta.Meta{UserIDs: []string{user}}, j.Meta)
	}
	rivertest.RequireManyInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, expected)
}
