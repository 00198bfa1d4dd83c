package docusign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"trustdocs/apierror"
	"trustdocs/esign"
)

// firstBackoff is the wait after the first failure; each further failure doubles it, up
// to Config.MaxWait.
const firstBackoff = 250 * time.Millisecond

// final marks an error the retry loop must not retry although its cause looks
// retryable: the token and userinfo calls have already retried on their own, and a
// nested loop would multiply the attempts.
type final struct{ error }

func (f final) Unwrap() error { return f.error }

// retryable reports whether an attempt that failed with err may succeed if repeated, and
// the wait the provider asked for. Retried: no response at all (a transport error or a
// lost response), 408, 429 and 5xx; everything else is a refusal of the request as it is.
func retryable(err error) (time.Duration, bool) {
	if errors.As(err, new(final)) {
		return 0, false
	}
	var pe *esign.Error
	if errors.As(err, &pe) {
		switch {
		case pe.Status == 0, pe.Status == http.StatusRequestTimeout, pe.Status == http.StatusTooManyRequests, pe.Status >= 500:
			return pe.RetryAfter, true
		}
		return 0, false
	}
	return 0, true // a transport error: the request may or may not have arrived
}

// retry calls try until it succeeds, fails in a way retrying cannot help, or
// MaxAttempts are spent, sleeping between attempts (c.policy's backoff, or what the
// provider asked), and reports the outcome to Observe. Unlike apierror.Retry.Do, it
// tells Observe one outcome per call (retried: succeeded after retrying), and it
// retries any error but an *esign.Error refusal and a final one.
func (c *Client) retry(ctx context.Context, op string, try func() error) error {
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil {
			if attempt == 1 {
				c.policy.Outcome(op, "ok")
			} else {
				c.policy.Outcome(op, "retried")
			}
			return nil
		}
		hint, again := retryable(err)
		switch {
		case ctx.Err() != nil:
			c.policy.Outcome(op, "failed")
			if errors.Is(err, ctx.Err()) {
				return err
			}
			return fmt.Errorf("%w (the last attempt: %w)", ctx.Err(), err)
		case !again && esign.IsPermanent(err):
			c.policy.Outcome(op, "permanent")
			return err
		case !again:
			c.policy.Outcome(op, "failed")
			return err
		case attempt >= c.policy.MaxAttempts:
			c.policy.Outcome(op, "failed")
			return err
		case hint > c.policy.MaxWait:
			// DocuSign wants more time than we wait in-process (an hourly quota, typically):
			// give up now; the error's RetryAfter tells the job queue when to come back.
			c.policy.Outcome(op, "failed")
			return err
		}
		wait := max(c.policy.Backoff(attempt), hint)
		if werr := c.policy.Sleep(ctx, wait); werr != nil {
			c.policy.Outcome(op, "failed")
			return fmt.Errorf("%w while waiting %s to retry (the last attempt: %w)", werr, wait.Round(time.Millisecond), err)
		}
	}
}

// retryAfter is how long DocuSign asked us to wait: Retry-After, or on a 429 without it
// X-RateLimit-Reset (when the account's hourly quota resets, in Unix seconds).
func retryAfter(status int, h http.Header, now time.Time) time.Duration {
	if d := apierror.RetryAfter(h, now); d > 0 {
		return d
	}
	if status != http.StatusTooManyRequests {
		return 0
	}
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		if d := time.Unix(s, 0).Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
