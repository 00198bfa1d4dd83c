package persona_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/idcheck/persona"
	"trustdocs/idcheck/persona/personatest"
)

func TestRateLimitWaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddInquiry("inq_429", "1995-09-08", personatest.InFields)
	f.srv.FailNext(http.StatusTooManyRequests, 2*time.Second, 1)

	adult, found, err := f.client.AgeVerified(context.Background(), "inq_429", at)
	require.NoError(t, err)
	require.True(t, adult)
	require.True(t, found)
	require.Equal(t, 2, f.srv.Calls())
	waits := f.recordedWaits()
	require.Len(t, waits, 1)
	require.GreaterOrEqual(t, waits[0], 2*time.Second, "at least what Persona asked")
	require.Equal(t, []string{"retrieve:retried", "retrieve:ok"}, f.recordedOutcomes())
}

func TestRateLimitResetIsHonouredWithoutRetryAfter(t *testing.T) {
	t.Parallel()
	// Persona documents RateLimit-Reset (seconds until the window resets), no Retry-After.
	f := newFixture(t)
	f.srv.AddInquiry("inq_reset", "1995-09-08", personatest.InFields)
	f.srv.RateLimitNext(5*time.Second, 1)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_reset", at)
	require.NoError(t, err)
	waits := f.recordedWaits()
	require.Len(t, waits, 1)
	require.GreaterOrEqual(t, waits[0], 5*time.Second)
}

func TestServerErrorsAreRetriedWithGrowingBackoff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *persona.Config) { c.MaxWait = 3 * time.Second })
	f.srv.AddInquiry("inq_500", "2012-06-15", personatest.InFields)
	f.srv.FailNext(http.StatusInternalServerError, 0, 1)
	f.srv.FailNext(http.StatusBadGateway, 0, 1)
	f.srv.FailNext(http.StatusServiceUnavailable, 0, 1)

	adult, found, err := f.client.AgeVerified(context.Background(), "inq_500", at)
	require.NoError(t, err)
	require.False(t, adult)
	require.True(t, found)
	require.Equal(t, 4, f.srv.Calls())
	waits := f.recordedWaits()
	require.Len(t, waits, 3)
	// Equal jitter: between half and all of 1s, 2s, then 4s capped to 3s.
	for i, ceiling := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		require.GreaterOrEqual(t, waits[i], ceiling/2)
		require.LessOrEqual(t, waits[i], ceiling)
	}
}

func TestOutOfAttemptsIsNotPermanent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *persona.Config) { c.MaxAttempts = 3 })
	f.srv.AddInquiry("inq_503", "1995-09-08", personatest.InFields)
	f.srv.FailNext(http.StatusServiceUnavailable, 0, 10)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_503", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	require.False(t, apierror.IsPermanent(err))
	require.Equal(t, 3, f.srv.Calls())
	require.Equal(t, []string{"retrieve:retried", "retrieve:retried", "retrieve:failed"}, f.recordedOutcomes())
}

func TestWrongAPIKeyIsPermanentWithPersonasWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *persona.Config) { c.APIKey = "persona_sandbox_revoked" })
	f.srv.AddInquiry("inq_401", "1995-09-08", personatest.InFields)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_401", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, apierror.IsPermanent(err))
	require.Equal(t, "persona", pe.Provider)
	require.Equal(t, "retrieve", pe.Op)
	require.Equal(t, http.StatusUnauthorized, pe.Status)
	require.Equal(t, "Must be authenticated to access this endpoint", pe.Message)
	require.Equal(t, 1, f.srv.Calls(), "not retried")
	require.Empty(t, f.recordedWaits())
	require.Equal(t, []string{"retrieve:permanent"}, f.recordedOutcomes())
}

func TestUnknownInquiryIsPermanentWithPersonasWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_missing", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, pe.Permanent())
	require.Equal(t, http.StatusNotFound, pe.Status)
	require.Equal(t, "Record not found", pe.Message)
	require.Equal(t, "persona retrieve: HTTP 404: Record not found", err.Error())
	require.Equal(t, 1, f.srv.Calls())
}

func TestRateLimitDetailsAreKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *persona.Config) { c.MaxAttempts = 1 })
	f.srv.FailNext(http.StatusTooManyRequests, 0, 1)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_busy", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.False(t, pe.Permanent())
	require.Equal(t, "Rate limit exceeded: You have hit your rate limit of 300 requests / min. "+
		"Please reach out to support@withpersona.com if you need this changed.", pe.Message)
}

func TestLongerWaitThanMaxWaitIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.FailNext(http.StatusTooManyRequests, 10*time.Minute, 1)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_hourly", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusTooManyRequests, pe.Status)
	require.GreaterOrEqual(t, pe.RetryAfter, 10*time.Minute)
	require.Empty(t, f.recordedWaits())
	require.Equal(t, 1, f.srv.Calls())
}

func TestCancelledContextStopsABackoff(t *testing.T) {
	t.Parallel()
	// The real timer this time: a 20 s Retry-After, a context ending after 100 ms.
	f := newFixture(t, func(c *persona.Config) { c.Sleep = nil })
	f.srv.FailNext(http.StatusServiceUnavailable, 20*time.Second, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, _, err := f.client.AgeVerified(ctx, "inq_ctx", at)
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe, "the failure being waited out is kept")
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	require.Equal(t, []string{"retrieve:failed"}, f.recordedOutcomes())
}

func TestTransportErrorIsRetried(t *testing.T) {
	t.Parallel()
	var outcomes []string
	c, err := persona.New(persona.Config{APIKey: apiKey, APIURL: "http://127.0.0.1:1", MaxAttempts: 3,
		Sleep:   func(context.Context, time.Duration) error { return nil },
		Observe: func(op, outcome string) { outcomes = append(outcomes, op+":"+outcome) }})
	require.NoError(t, err)

	_, _, err = c.AgeVerified(context.Background(), "inq_net", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.Zero(t, pe.Status, "no answer arrived")
	require.False(t, apierror.IsPermanent(err))
	require.Equal(t, []string{"retrieve:retried", "retrieve:retried", "retrieve:failed"}, outcomes)
}
