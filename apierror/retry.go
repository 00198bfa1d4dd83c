package apierror

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Defaults for the zero fields of a Retry.
const (
	DefaultMaxAttempts = 5
	DefaultMaxWait     = 30 * time.Second
	DefaultFirstWait   = time.Second
)

// Retry is how a provider client retries what may succeed later (a 408, a 429, a 5xx,
// no answer at all): a few attempts, with a growing, jittered backoff between them,
// and at least as long as the provider asked. Call SetDefaults before using it.
type Retry struct {
	// MaxAttempts bounds the tries of one operation; default 5.
	MaxAttempts int
	// MaxWait caps each backoff; default 30s. A provider asking for a longer wait ends
	// the operation with its *Error, whose RetryAfter says how long, for the job queue
	// to wait out.
	MaxWait time.Duration
	// FirstWait is the backoff after the first failure, doubled after each further one
	// up to MaxWait; default 1s.
	FirstWait time.Duration
	// Sleep waits between attempts; default a timer that gives up when ctx ends. Tests
	// replace it to record the waits and not spend them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observe, when set, is told the outcomes of the operations: ok, retried, permanent
	// (a 4xx refusal) or failed (out of attempts, or given up).
	Observe func(op, outcome string)
}

// SetDefaults fills in the zero (or negative) fields.
func (r *Retry) SetDefaults() {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.MaxWait <= 0 {
		r.MaxWait = DefaultMaxWait
	}
	if r.FirstWait <= 0 {
		r.FirstWait = DefaultFirstWait
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
}

// Outcome tells Observe, when set, the outcome of op.
func (r *Retry) Outcome(op, outcome string) {
	if r.Observe != nil {
		r.Observe(op, outcome)
	}
}

// Do runs one attempt of op after another until one needs no retry, and returns its
// error. once makes one attempt and sorts it: (nil, nil) when it succeeded; a non-nil
// error when trying again cannot help whatever the provider said (the context ended,
// an answer that will not change), returned as it is; otherwise the provider's *Error.
// Do tells Observe failed, permanent, or retried before each retry; the caller tells it
// ok once it has made sense of the answer.
func (r *Retry) Do(ctx context.Context, op string, once func() (*Error, error)) error {
	for attempt := 1; ; attempt++ {
		perr, err := once()
		switch {
		case err != nil:
			r.Outcome(op, "failed")
			return err
		case perr == nil:
			return nil
		case perr.Permanent():
			r.Outcome(op, "permanent")
			return perr
		case attempt >= r.MaxAttempts:
			r.Outcome(op, "failed")
			return perr
		}
		if err := r.Pause(ctx, attempt, perr); err != nil {
			r.Outcome(op, "failed")
			return err
		}
		r.Outcome(op, "retried")
	}
}

// Pause waits before attempt+1, which follows perr: the backoff, or longer when the
// provider asked. A provider asking for more than MaxWait gets perr back at once,
// RetryAfter set, for the job queue to wait out; a wait cut short by ctx returns both
// perr and ctx's error.
func (r *Retry) Pause(ctx context.Context, attempt int, perr *Error) error {
	if perr.RetryAfter > r.MaxWait {
		return perr
	}
	d := max(r.Backoff(attempt), perr.RetryAfter)
	if err := r.Sleep(ctx, d); err != nil {
		return fmt.Errorf("%w; gave up waiting %s to retry: %w", perr, d, err)
	}
	return nil
}

// Backoff is the wait after the attempt-th failure: FirstWait doubled per attempt,
// capped at MaxWait, with "equal jitter" (half fixed, half random) so that workers
// failing together do not come back together, yet each waits a useful while.
func (r *Retry) Backoff(attempt int) time.Duration {
	d := r.FirstWait
	for i := 1; i < attempt && d < r.MaxWait; i++ {
		d *= 2 // below MaxWait before doubling: no overflow
	}
	d = min(d, r.MaxWait)
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
