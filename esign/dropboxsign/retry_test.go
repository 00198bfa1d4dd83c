package dropboxsign_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/esign/dropboxsign"
	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

func TestRateLimitedCreateWaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.FailNext(dropboxsigntest.OpSend, http.StatusTooManyRequests, 2*time.Second, 1)

	_, err := f.client.Send(context.Background(), envelope("doc_429"))
	require.NoError(t, err)
	require.Equal(t, 1, f.srv.Created())
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpSend))
	// A 429 refused the create, so the search before the retry is not patient: one
	// wait, at least what the provider asked.
	waits := f.recordedWaits()
	require.Len(t, waits, 1)
	require.GreaterOrEqual(t, waits[0], 2*time.Second)
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpList), "a fresh search before the second create")
	require.Equal(t, []string{"find:ok", "send:retried", "find:ok", "send:ok"}, f.recordedOutcomes())
}

func TestRateLimitResetHeaderIsHonoured(t *testing.T) {
	t.Parallel()
	// Dropbox Sign documents X-Ratelimit-Reset (Unix time), not Retry-After.
	f := newFixture(t)
	f.srv.RateLimitNext(dropboxsigntest.OpList, 3*time.Second, 1)

	_, err := f.client.Send(context.Background(), envelope("doc_reset"))
	require.NoError(t, err)
	waits := f.recordedWaits()
	require.Len(t, waits, 1)
	require.GreaterOrEqual(t, waits[0], 2*time.Second, "the reset is in whole seconds")
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpList))
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.FailNext(dropboxsigntest.OpList, http.StatusServiceUnavailable, 0, 2)
	f.srv.FailNext(dropboxsigntest.OpSend, http.StatusInternalServerError, 0, 1)

	_, err := f.client.Send(context.Background(), envelope("doc_500"))
	require.NoError(t, err)
	require.Equal(t, 1, f.srv.Created())
	require.Equal(t, 2, f.srv.Calls(dropboxsigntest.OpSend))
	// 2 failed + 1 search before the first create; a 500 may have created the request,
	// so the next search is patient: settleSearches (5) empty ones before the retry.
	require.Equal(t, 3+5, f.srv.Calls(dropboxsigntest.OpList))
	for _, w := range f.recordedWaits() {
		require.Positive(t, w)
		require.LessOrEqual(t, w, 30*time.Second, "MaxWait caps every backoff")
	}
}

func TestBackoffGrowsAndStopsAtMaxAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *dropboxsign.Config) { c.MaxAttempts = 4; c.MaxWait = 3 * time.Second })
	f.srv.FailNext(dropboxsigntest.OpList, http.StatusBadGateway, 0, 10)

	_, err := f.client.Send(context.Background(), envelope("doc_502"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusBadGateway, pe.Status)
	require.False(t, pe.Permanent())
	require.Equal(t, 4, f.srv.Calls(dropboxsigntest.OpList))
	require.Zero(t, f.srv.Created())

	waits := f.recordedWaits()
	require.Len(t, waits, 3)
	// Equal jitter: each wait is between half and all of 1s, 2s, then 4s capped to 3s.
	for i, ceiling := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		require.GreaterOrEqual(t, waits[i], ceiling/2)
		require.LessOrEqual(t, waits[i], ceiling)
	}
	require.Equal(t, []string{"find:retried", "find:retried", "find:retried", "find:failed", "send:failed"}, f.recordedOutcomes())
}

func TestBadRequestIsPermanentWithTheProvidersWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.FailNext(dropboxsigntest.OpSend, http.StatusBadRequest, 0, 1)

	_, err := f.client.Send(context.Background(), envelope("doc_400"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, esign.IsPermanent(err))
	require.Equal(t, "dropboxsign", pe.Provider)
	require.Equal(t, "send", pe.Op)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	require.Equal(t, "bad_request: Bad Request (dropboxsigntest fault)", pe.Message)
	require.Equal(t, 1, f.srv.Calls(dropboxsigntest.OpSend), "not retried")
	require.Empty(t, f.recordedWaits())
	require.Equal(t, []string{"find:ok", "send:permanent"}, f.recordedOutcomes())
}

func TestLongerWaitThanMaxWaitIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	// An hourly rate limit: the job queue should wait, not this goroutine.
	f := newFixture(t)
	f.srv.FailNext(dropboxsigntest.OpList, http.StatusTooManyRequests, 10*time.Minute, 1)

	_, err := f.client.Send(context.Background(), envelope("doc_hourly"))
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusTooManyRequests, pe.Status)
	require.GreaterOrEqual(t, pe.RetryAfter, 10*time.Minute)
	require.Empty(t, f.recordedWaits())
	require.Equal(t, 1, f.srv.Calls(dropboxsigntest.OpList))
}

func TestCancelledContextStopsABackoff(t *testing.T) {
	t.Parallel()
	// The real timer this time: a 20 s Retry-After, a context ending after 100 ms.
	f := newFixture(t, func(c *dropboxsign.Config) { c.Sleep = nil })
	f.srv.FailNext(dropboxsigntest.OpSend, http.StatusServiceUnavailable, 20*time.Second, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := f.client.Send(ctx, envelope("doc_ctx"))
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var pe *esign.Error
	require.ErrorAs(t, err, &pe, "the failure being waited out is kept")
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	require.Equal(t, 1, f.srv.Calls(dropboxsigntest.OpSend))
	require.Equal(t, "send:failed", f.recordedOutcomes()[len(f.recordedOutcomes())-1])
}

func TestTransportErrorIsRetried(t *testing.T) {
	t.Parallel()
	// A cancel whose connection drops: the stand-in only loses creates, so an unreachable
	// URL plays the network here.
	var outcomes []string
	c, err := dropboxsign.New(dropboxsign.Config{APIKey: apiKey, APIURL: "http://127.0.0.1:1/v3", MaxAttempts: 3,
		Sleep:   func(context.Context, time.Duration) error { return nil },
		Observe: func(op, outcome string) { outcomes = append(outcomes, op+":"+outcome) }})
	require.NoError(t, err)
	err = c.Void(context.Background(), "abc", "")
	var pe *esign.Error
	require.ErrorAs(t, err, &pe)
	require.Zero(t, pe.Status, "no answer arrived")
	require.False(t, esign.IsPermanent(err))
	require.Equal(t, []string{"void:retried", "void:retried", "void:failed"}, outcomes)
}
