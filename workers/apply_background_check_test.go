package workers

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/idcheck"
	"trustdocs/jobmeta"
	"trustdocs/trust"
	"trustdocs/webhook"
)

// checkr is a normalized Checkr event about the test's candidate.
func (b *jobTest) checkr(n, event, status, adjudication string, at time.Time) ApplyBackgroundCheckArgs {
	return ApplyBackgroundCheckArgs{EventID: b.id("whk_" + n), ReceiptID: "rcp_" + n, ReceivedAt: testNow,
		Update: webhook.BackgroundUpdate{Provider: "checkr", ProviderEvt: event, DedupeKey: b.id("checkr_" + n), CandidateID: b.id("cand"),
			Status: status, Adjudication: adjudication, At: at}}
}

func TestJobApplyBackgroundCheck(t *testing.T) {
	t.Parallel()
	db := jobDB(t)

	t.Run("a clear report of an identified user issues trusted_pro", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.verifyIdentity(t, user)
		mustComplete(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))
		b.forgetJobs(t)
		version := b.version(t, user)

		args := b.checkr("1", "report.completed", "clear", "", testNow.Add(-time.Hour))
		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: args.EventID, CandidateID: b.id("cand")}, jobmeta.Of(res.Job.Metadata))

		require.Equal(t, "clear", scalar[string](t, b, `select status from bg_status where user_id = $1 and package = 'basic_us'`, user))
		require.Equal(t, []string{trust.BadgeIDVerified, trust.BadgeTrustedPro}, b.badges(t, user))
		require.Equal(t, version+1, b.version(t, user))
		require.Equal(t, "applied", scalar[string](t, b, `select outcome from webhook_event where dedupe_key = $1 and subject = $2`, args.Update.DedupeKey, user))
		requireRefreshes(t, b, b.inserted(t, res), user, testNow.Add(trust.DefaultBadgePolicy.TrustedPro))
	})

	t.Run("an adjudication step keeps the status and a dispute revokes trusted_pro", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		b.verifyIdentity(t, user)
		mustComplete(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))
		mustComplete(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, b.checkr("1", "report.completed", "clear", "", testNow.Add(-3*time.Hour)))
		mustComplete(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, b.checkr("2", "report.engaged", "", "engaged", testNow.Add(-2*time.Hour)))
		require.Equal(t, "clear engaged", scalar[string](t, b, `select status || ' ' || adjudication from bg_status where user_id = $1`, user))
		b.forgetJobs(t)

		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, b.checkr("3", "report.disputed", "disputed", "", testNow.Add(-time.Hour)))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, []string{trust.BadgeIDVerified, "trusted_pro revoked: background check is disputed"}, b.badges(t, user))
		requireRefreshes(t, b, b.inserted(t, res), user)
	})

	t.Run("an event older than the stored status changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))
		mustComplete(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, b.checkr("1", "report.completed", "consider", "", testNow.Add(-time.Hour)))
		version := b.version(t, user)

		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, b.checkr("2", "report.created", "in_progress", "", testNow.Add(-2*time.Hour)))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "consider", scalar[string](t, b, `select status from bg_status where user_id = $1`, user))
		require.Equal(t, version, b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("an unknown candidate fails the job, so River retries it once the request arrives", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		args := b.checkr("1", "invitation.created", "invited", "", testNow)

		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, args)
		require.ErrorIs(t, err, ErrUnknownCandidate)
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, 10, res.Job.MaxAttempts)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from webhook_event where dedupe_key = $1`, args.Update.DedupeKey),
			"not recorded, or the retry would be skipped as a duplicate")
	})

	t.Run("an event without status or adjudication is recorded as ignored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		args := b.checkr("1", "candidate.updated", "", "", testNow) // candidate unknown too: not looked up

		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from webhook_event where dedupe_key = $1 and outcome = 'ignored'`, args.Update.DedupeKey))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a duplicate provider event changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		user := b.id("usr")
		mustComplete(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))
		args := b.checkr("1", "report.completed", "clear", "", testNow.Add(-time.Hour))
		mustComplete(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, args)
		version := b.version(t, user)
		again := args
		again.Update.Status, again.Update.At = "suspended", testNow // would change it if applied

		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, again)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "clear", scalar[string](t, b, `select status from bg_status where user_id = $1`, user))
		require.Equal(t, version, b.version(t, user))
		require.Empty(t, b.inserted(t, res))
	})
}

// fakeReports answers Checkr report retrieves as told.
type fakeReports struct {
	result string
	err    error
	asked  []string
}

func (f *fakeReports) Name() string { return "checkr" }

func (f *fakeReports) Report(_ context.Context, id string) (idcheck.Report, error) {
	f.asked = append(f.asked, id)
	return idcheck.Report{ID: id, Status: "complete", Result: f.result}, f.err
}

func TestJobApplyBackgroundCheckReadsAMissingResult(t *testing.T) {
	t.Parallel()
	db := jobDB(t)
	pending := func(b *jobTest) ApplyBackgroundCheckArgs {
		a := b.checkr("1", "report.completed", "", "", testNow.Add(-time.Hour))
		a.Update.ReportID, a.Update.ResultPending = "rep_1", true
		return a
	}
	identified := func(t *testing.T, b *jobTest) string {
		user := b.id("usr")
		b.verifyIdentity(t, user)
		mustComplete(t, b, &RegisterBackgroundCheckWorker{deps: b.deps}, b.bgRequest(user))
		b.forgetJobs(t)
		return user
	}

	t.Run("read from Checkr's API: a clear report issues trusted_pro", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		reports := &fakeReports{result: "clear"}
		b.deps.Reports = reports
		user := identified(t, b)
		mustComplete(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, pending(b))
		require.Equal(t, []string{"rep_1"}, reports.asked)
		require.Equal(t, "clear", scalar[string](t, b, `select status from bg_status where user_id = $1`, user))
		require.Contains(t, b.badges(t, user), "trusted_pro")
	})

	t.Run("the result not there yet: asked again later", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		b.deps.Reports = &fakeReports{}
		identified(t, b)
		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, pending(b))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobSnoozed, res.EventKind)
	})

	t.Run("no API key: cancelled with the reason", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		identified(t, b)
		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, pending(b))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, res.Job.Errors[0].Error, "CHECKR_API_KEY is not set")
	})

	t.Run("the provider refuses for good: cancelled with its words", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		b.deps.Reports = &fakeReports{err: &apierror.Error{Provider: "checkr", Op: "report", Status: 404, Message: "Not Found"}}
		identified(t, b)
		res, err := work(t, b, &ApplyBackgroundCheckWorker{deps: b.deps}, pending(b))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, res.Job.Errors[0].Error, "Not Found")
	})
}
