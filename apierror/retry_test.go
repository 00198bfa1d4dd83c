package apierror_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/apierror/apierrortest"
)

// policy is a Retry with defaults whose waits and outcomes rec records.
func policy(rec *apierrortest.Recorder, mods ...func(*apierror.Retry)) *apierror.Retry {
	r := &apierror.Retry{Sleep: rec.Sleep, Observe: rec.Observe}
	for _, m := range mods {
		m(r)
	}
	r.SetDefaults()
	return r
}

func failure(status int, retryAfter time.Duration) *apierror.Error {
	return &apierror.Error{Provider: "acme", Op: "fetch", Status: status, Message: http.StatusText(status), RetryAfter: retryAfter}
}

// script is a once that answers each attempt with the next of answers (nil: success)
// and counts the attempts.
func script(attempts *int, answers ...*apierror.Error) func() (*apierror.Error, error) {
	return func() (*apierror.Error, error) {
		*attempts++
		return answers[*attempts-1], nil
	}
}

func TestDoSucceedsAtOnce(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	attempts := 0
	err := policy(&rec).Do(context.Background(), "fetch", script(&attempts, nil))
	require.NoError(t, err)
	require.Equal(t, 1, attempts)
	require.Empty(t, rec.Waits())
	require.Empty(t, rec.Outcomes(), "the caller tells ok once it has read the answer")
}

func TestDoDoesNotRetryAPermanentRefusal(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	attempts := 0
	refusal := failure(http.StatusNotFound, 0)
	err := policy(&rec).Do(context.Background(), "fetch", script(&attempts, refusal))
	require.Same(t, refusal, err)
	require.True(t, apierror.IsPermanent(err))
	require.Equal(t, 1, attempts)
	require.Empty(t, rec.Waits())
	require.Equal(t, []string{"fetch:permanent"}, rec.Outcomes())
}

func TestDoRetriesWhatMaySucceedLater(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	attempts := 0
	err := policy(&rec).Do(context.Background(), "fetch", script(&attempts,
		failure(http.StatusServiceUnavailable, 0), failure(http.StatusTooManyRequests, 0),
		failure(http.StatusRequestTimeout, 0), failure(0, 0), nil))
	require.NoError(t, err)
	require.Equal(t, 5, attempts)
	require.Len(t, rec.Waits(), 4)
	require.Equal(t, []string{"fetch:retried", "fetch:retried", "fetch:retried", "fetch:retried"}, rec.Outcomes())
}

func TestDoStopsAtMaxAttempts(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	attempts := 0
	last := failure(http.StatusBadGateway, 0)
	r := policy(&rec, func(r *apierror.Retry) { r.MaxAttempts = 3 })
	err := r.Do(context.Background(), "fetch", script(&attempts,
		failure(http.StatusInternalServerError, 0), failure(http.StatusInternalServerError, 0), last))
	require.Same(t, last, err, "the last failure")
	require.False(t, apierror.IsPermanent(err))
	require.Equal(t, 3, attempts)
	require.Len(t, rec.Waits(), 2)
	require.Equal(t, []string{"fetch:retried", "fetch:retried", "fetch:failed"}, rec.Outcomes())
}

func TestDoHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	attempts := 0
	err := policy(&rec).Do(context.Background(), "fetch", script(&attempts, failure(http.StatusTooManyRequests, 7*time.Second), nil))
	require.NoError(t, err)
	require.Equal(t, []time.Duration{7 * time.Second}, rec.Waits(), "more than the first backoff (at most 1s)")
}

func TestDoHandsBackARetryAfterBeyondMaxWait(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	attempts := 0
	quota := failure(http.StatusTooManyRequests, 10*time.Minute)
	err := policy(&rec).Do(context.Background(), "fetch", script(&attempts, quota, nil))
	require.Same(t, quota, err, "for the job queue to wait out")
	require.Equal(t, 10*time.Minute, quota.RetryAfter)
	require.Equal(t, 1, attempts)
	require.Empty(t, rec.Waits())
	require.Equal(t, []string{"fetch:failed"}, rec.Outcomes())
}

func TestDoGivesUpWhenTheContextEndsDuringAPause(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	attempts := 0
	outage := failure(http.StatusServiceUnavailable, 0)
	err := policy(&rec).Do(ctx, "fetch", func() (*apierror.Error, error) {
		attempts++
		cancel() // the caller goes away while the attempt is under way
		return outage, nil
	})
	require.ErrorIs(t, err, context.Canceled)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe, "the failure being waited out is kept")
	require.Same(t, outage, pe)
	require.Equal(t, 1, attempts)
	require.Len(t, rec.Waits(), 1)
	require.Equal(t, []string{"fetch:failed"}, rec.Outcomes())
}

func TestDoReturnsAGiveUpErrorAsItIs(t *testing.T) {
	t.Parallel()
	var rec apierrortest.Recorder
	tooLarge := errors.New("acme fetch: answer too large")
	attempts := 0
	err := policy(&rec).Do(context.Background(), "fetch", func() (*apierror.Error, error) {
		attempts++
		return nil, tooLarge
	})
	require.Same(t, tooLarge, err)
	require.Equal(t, 1, attempts)
	require.Empty(t, rec.Waits())
	require.Equal(t, []string{"fetch:failed"}, rec.Outcomes())
}

func TestDoWithoutObserve(t *testing.T) {
	t.Parallel()
	r := &apierror.Retry{Sleep: func(context.Context, time.Duration) error { return nil }}
	r.SetDefaults()
	attempts := 0
	err := r.Do(context.Background(), "fetch", script(&attempts, failure(http.StatusBadGateway, 0), failure(http.StatusForbidden, 0)))
	require.True(t, apierror.IsPermanent(err))
	require.Equal(t, 2, attempts)
}

func TestBackoffDoublesWithEqualJitterUpToMaxWait(t *testing.T) {
	t.Parallel()
	r := &apierror.Retry{MaxWait: 5 * time.Second}
	r.SetDefaults()
	for range 50 { // the jitter is random: a few draws of each
		for attempt, ceiling := range map[int]time.Duration{
			1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 64: 5 * time.Second, 1000: 5 * time.Second,
		} {
			d := r.Backoff(attempt)
			require.GreaterOrEqual(t, d, ceiling/2, "attempt %d", attempt)
			require.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
		}
	}
	fast := &apierror.Retry{FirstWait: 250 * time.Millisecond}
	fast.SetDefaults()
	require.LessOrEqual(t, fast.Backoff(3), time.Second)
	require.GreaterOrEqual(t, fast.Backoff(3), 500*time.Millisecond)
}

func TestSetDefaults(t *testing.T) {
	t.Parallel()
	for _, r := range []apierror.Retry{{}, {MaxAttempts: -1, MaxWait: -time.Second, FirstWait: -time.Second}} {
		r.SetDefaults()
		require.Equal(t, 5, r.MaxAttempts)
		require.Equal(t, 30*time.Second, r.MaxWait)
		require.Equal(t, time.Second, r.FirstWait)
		require.NotNil(t, r.Sleep)
		require.Nil(t, r.Observe)
	}
	r := apierror.Retry{MaxAttempts: 2, MaxWait: time.Minute, FirstWait: time.Millisecond}
	r.SetDefaults()
	require.Equal(t, 2, r.MaxAttempts, "what is set stays")
	require.Equal(t, time.Minute, r.MaxWait)
	require.Equal(t, time.Millisecond, r.FirstWait)
}

func TestDefaultSleepEndsWithTheContext(t *testing.T) {
	t.Parallel()
	r := &apierror.Retry{}
	r.SetDefaults()
	require.NoError(t, r.Sleep(context.Background(), time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, r.Sleep(ctx, time.Minute), context.DeadlineExceeded)
	require.Less(t, time.Since(start), 10*time.Second)
}
