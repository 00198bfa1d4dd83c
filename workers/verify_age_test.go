package workers

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/idcheck"
	"trustdocs/jobmeta"
)

// fakeAgeChecker answers AgeVerified as told and records what it was asked.
type fakeAgeChecker struct {
	adult, found bool
	err          error
	asked        []string
}

func (f *fakeAgeChecker) Name() string { return "stripe" }

func (f *fakeAgeChecker) AgeVerified(_ context.Context, ref string, _ time.Time) (bool, bool, error) {
	f.asked = append(f.asked, ref)
	return f.adult, f.found, f.err
}

// unverifiedCounter records what VerifyAgeWorker counts.
type unverifiedCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *unverifiedCounter) add(provider, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[provider+"/"+reason]++
}

func TestJobVerifyAge(t *testing.T) {
	t.Parallel()
	db := jobDB(t)

	// passedWithoutAge applies a Stripe session that passed without a date of birth, as
	// Stripe's events always are, and returns the verify_age job it queued.
	passedWithoutAge := func(t *testing.T, b *jobTest, user string) VerifyAgeArgs {
		a := b.identity(user, "s1")
		a.Provider, a.Update.Provider, a.Update.ProviderRef = "stripe", "stripe_identity", "vs_1"
		a.Update.AgeVerified, a.Update.AgeCheck = false, true
		res, err := work(t, b, &ApplyIdentityWorker{deps: b.deps}, a)
		require.NoError(t, err)
		jobs := b.inserted(t, res)
		var va *VerifyAgeArgs
		for _, j := range jobs {
			if j.Kind == "verify_age" {
				v := argsOf[VerifyAgeArgs](t, j)
				va = &v
				require.Equal(t, jobmeta.Meta{EventID: a.EventID, UserIDs: []string{user}}, j.Meta)
				require.Equal(t, QueueProviders, j.Queue)
			}
		}
		require.NotNil(t, va, "a passed session without a date of birth queues verify_age: %v", jobs)
		require.Equal(t, VerifyAgeArgs{EventID: a.EventID, UserID: user, Provider: "stripe_identity", ProviderRef: "vs_1", At: testNow}, *va)
		require.Empty(t, b.badges(t, user), "no id_verified until the age is verified")
		b.forgetJobs(t)
		return *va
	}
	setupAge := func(t *testing.T, checker *fakeAgeChecker) (*jobTest, *unverifiedCounter) {
		b := setup(t, db)
		c := &unverifiedCounter{counts: map[string]int{}}
		b.deps.AgeUnverified = c.add
		if checker != nil {
			b.deps.AgeCheckers = map[string]idcheck.AgeChecker{"stripe_identity": checker}
		}
		return b, c
	}
	output := func(t *testing.T, res *rivertype.JobRow) string {
		var md struct {
			Output struct {
				Outcome string `json:"outcome"`
			} `json:"output"`
		}
		require.NoError(t, json.Unmarshal(res.Metadata, &md))
		return md.Output.Outcome
	}

	t.Run("an adult's verified age issues id_verified", func(t *testing.T) {
		t.Parallel()
		checker := &fakeAgeChecker{adult: true, found: true}
		b, counted := setupAge(t, checker)
		user := b.id("usr")
		va := passedWithoutAge(t, b, user)
		v := b.version(t, user)

		res, err := work(t, b, &VerifyAgeWorker{deps: b.deps}, va)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "age_verified", output(t, res.Job))
		require.Equal(t, []string{"vs_1"}, checker.asked)
		require.True(t, scalar[bool](t, b, `select age_verified from idv_status where user_id = $1`, user))
		require.Equal(t, []string{"id_verified"}, b.badges(t, user))
		require.Greater(t, b.version(t, user), v, "the cache item must show it")
		require.Empty(t, counted.counts)
	})

	for _, tc := range []struct {
		name    string
		checker *fakeAgeChecker
		reason  string
		event   river.EventKind
	}{
		{"no API key: counted, the identity stays passed", nil, AgeNoAPIKey, river.EventKindJobCompleted},
		{"no date of birth at the provider", &fakeAgeChecker{}, AgeNoBirthdate, river.EventKindJobCompleted},
		{"a minor", &fakeAgeChecker{found: true}, AgeUnderAge, river.EventKindJobCompleted},
		{"the provider refuses for good", &fakeAgeChecker{err: &apierror.Error{Provider: "stripe", Op: "retrieve", Status: 404, Message: "No such verification session"}},
			AgeRefused, river.EventKindJobCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, counted := setupAge(t, tc.checker)
			user := b.id("usr")
			res, err := work(t, b, &VerifyAgeWorker{deps: b.deps}, passedWithoutAge(t, b, user))
			require.NoError(t, err)
			require.Equal(t, tc.event, res.EventKind)
			require.Equal(t, tc.reason, output(t, res.Job), "the outcome the trace shows")
			require.Equal(t, map[string]int{"stripe_identity/" + tc.reason: 1}, counted.counts)
			require.False(t, scalar[bool](t, b, `select age_verified from idv_status where user_id = $1`, user))
			require.Equal(t, "passed", scalar[string](t, b, `select status from idv_status where user_id = $1`, user))
			require.Empty(t, b.badges(t, user))
		})
	}

	t.Run("a provider that fails for now is retried", func(t *testing.T) {
		t.Parallel()
		b, counted := setupAge(t, &fakeAgeChecker{err: &apierror.Error{Provider: "stripe", Op: "retrieve", Status: 503, Message: "unavailable"}})
		res, err := work(t, b, &VerifyAgeWorker{deps: b.deps}, passedWithoutAge(t, b, b.id("usr")))
		require.Error(t, err)
		require.False(t, errors.Is(err, context.Canceled))
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Empty(t, counted.counts, "not counted until it gives up")
	})
}
