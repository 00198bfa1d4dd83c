package docusign

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

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
// MaxAttempts are spent, sleeping between attempts, and reports the outcome to Observe.
func (c *Client) retry(ctx context.Context, op string, try func() error) error {
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil {
			if attempt == 1 {
				c.observe(op, "ok")
			} else {
				c.observe(op, "retried")
			}
			return nil
		}
		hint, again := retryable(err)
		switch {
		case ctx.Err() != nil:
			c.observe(op, "failed")
			if errors.Is(err, ctx.Err()) {
				return err
			}
			return fmt.Errorf("%w (the last attempt: %w)", ctx.Err(), err)
		case !again && esign.IsPermanent(err):
			c.observe(op, "permanent")
			return err
		case !again:
			c.observe(op, "failed")
			return err
		case attempt >= c.cfg.MaxAttempts:
			c.observe(op, "failed")
			return err
		}
		wait, ok := c.backoff(attempt, hint)
		if !ok {
			// DocuSign wants more time than we wait in-process (an hourly quota, typically):
			// give up now; the error's RetryAfter tells the job queue when to come back.
			c.observe(op, "failed")
			return err
		}
		if werr := sleep(ctx, wait); werr != nil {
			c.observe(op, "failed")
			return fmt.Errorf("%w while waiting %s to retry (the last attempt: %w)", werr, wait.Round(time.Millisecond), err)
		}
	}
}

// backoff is the wait before attempt+1: exponential with jitter (half fixed, half
// random, so that clients failing together do not retry together), and at least what
// the provider asked for. ok is false when the provider asked for more than MaxWait.
func (c *Client) backoff(attempt int, asked time.Duration) (time.Duration, bool) {
	if asked > c.cfg.MaxWait {
		return asked, false
	}
	d := c.cfg.MaxWait
	if attempt < 32 && firstBackoff<<(attempt-1) < d {
		d = firstBackoff << (attempt - 1)
	}
	d = d/2 + rand.N(d/2+1)
	return max(d, asked), true
}

// sleep waits d or until ctx is done.
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

// retryAfter is how long DocuSign asked us to wait: Retry-After, or on a 429 without it
// X-RateLimit-Reset (when the account's hourly quota resets, in Unix seconds).
func retryAfter(status int, h http.Header, now time.Time) time.Duration {
	if d := esign.RetryAfter(h, now); d > 0 {
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

func (c *Client) observe(op, outcome string) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(op, outcome)
	}
}
