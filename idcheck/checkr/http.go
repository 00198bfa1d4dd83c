package checkr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"trustdocs/apierror"
)

const (
	providerName = "checkr"
	// baseDelay is the first backoff; each retry doubles it, up to Config.MaxWait.
	baseDelay = time.Second
	// maxBody bounds an answer: a report is a few KiB.
	maxBody = 1 << 20
	// maxMessage bounds the provider text kept in an error.
	maxMessage = 200
)

// errTooLarge: an answer over maxBody. Asking again would get the same answer.
var errTooLarge = errors.New("answer too large")

// reply is an answer that arrived, whatever its status.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) ok() bool { return r.status >= 200 && r.status < 300 }

// get sends GET path, retrying what may succeed later (429, 408, 5xx, transport
// errors) with backoff, and returns a 2xx answer or the *apierror.Error of the last
// failure. op names the operation in errors and for Observe.
func (c *Client) get(ctx context.Context, op, path string) (reply, error) {
	for attempt := 1; ; attempt++ {
		rep, err := c.once(ctx, path)
		switch {
		case err == nil && rep.ok():
			return rep, nil // the caller observes ok once it has read the answer
		case err != nil && (ctx.Err() != nil || errors.Is(err, errTooLarge)):
			// The caller gave up, or the answer will not change: no retry.
			c.observe(op, "failed")
			return rep, fmt.Errorf("%s %s: %w", providerName, op, err)
		}
		perr := c.failure(op, rep, err)
		if perr.Permanent() {
			c.observe(op, "permanent")
			return rep, perr
		}
		if attempt >= c.cfg.MaxAttempts {
			c.observe(op, "failed")
			return rep, perr
		}
		if err := c.pause(ctx, attempt, perr); err != nil {
			c.observe(op, "failed")
			return rep, err
		}
		c.observe(op, "retried")
	}
}

// once sends the request once. A nil error means an answer arrived, whatever its status.
func (c *Client) once(ctx context.Context, path string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return reply{}, err
	}
	req.SetBasicAuth(c.cfg.APIKey, "")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return reply{}, err // cut short: as good as no answer
	}
	if len(b) > maxBody {
		return reply{status: resp.StatusCode, header: resp.Header}, fmt.Errorf("%w: over %d bytes", errTooLarge, maxBody)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// failure turns a failed exchange into an *apierror.Error: Status 0 when no answer came.
func (c *Client) failure(op string, rep reply, err error) *apierror.Error {
	if err != nil {
		return &apierror.Error{Provider: providerName, Op: op, Message: err.Error()}
	}
	return &apierror.Error{Provider: providerName, Op: op, Status: rep.status, Message: apiMessage(rep),
		RetryAfter: retryHint(rep.status, rep.header, c.now())}
}

// apiMessage is Checkr's error text, the "error" member of its error bodies ("Bad
// authentication error", "Resource not found"), cut to maxMessage. A body in another
// shape (a proxy's page, a report where an error was expected) is not quoted: it could
// hold a report's content.
func apiMessage(rep reply) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(rep.body, &e) != nil || strings.TrimSpace(e.Error) == "" {
		return http.StatusText(rep.status)
	}
	s := strings.TrimSpace(e.Error)
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

// retryHint is how long Checkr asked us to wait: Retry-After, or on a 429 the time
// X-Ratelimit-Reset names, which is what Checkr documents for its rate limit (an RFC 3339
// time: "2018-02-02T16:39:00Z").
func retryHint(status int, h http.Header, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status < 500 {
		return 0
	}
	if d := apierror.RetryAfter(h, now); d > 0 {
		return d
	}
	if status == http.StatusTooManyRequests {
		if t, err := time.Parse(time.RFC3339, h.Get("X-Ratelimit-Reset")); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	return 0
}

// pause waits before attempt+1: the backoff, or longer when the provider asked. A
// provider asking for more than MaxWait gets its error back at once, RetryAfter set, for
// the job queue to wait out.
func (c *Client) pause(ctx context.Context, attempt int, perr *apierror.Error) error {
	if perr.RetryAfter > c.cfg.MaxWait {
		return perr
	}
	d := max(c.backoff(attempt), perr.RetryAfter)
	if err := c.cfg.Sleep(ctx, d); err != nil {
		return fmt.Errorf("%w; gave up waiting %s to retry: %w", perr, d, err)
	}
	return nil
}

// backoff is the wait after the attempt-th failure: baseDelay doubled per attempt,
// capped at MaxWait, with "equal jitter" (half fixed, half random) so that workers
// failing together do not come back together, yet each waits a useful while.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.MaxWait
	if attempt < 20 { // past that the shift overflows; the cap applies anyway
		d = min(baseDelay<<(attempt-1), c.cfg.MaxWait)
	}
	half := d / 2
	return half + rand.N(half+1)
}
