package dropboxsign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"trustdocs/esign"
)

const (
	providerName = "dropboxsign"
	// baseDelay is the first backoff; each retry doubles it, up to Config.MaxWait.
	baseDelay   = time.Second
	maxJSONBody = 8 << 20
	maxFileBody = 256 << 20 // an executed PDF with its audit trail
)

// errTooLarge: an answer over its size limit. Asking again would get the same answer.
var errTooLarge = errors.New("answer too large")

// request is one API call, its body kept as bytes so that it can be sent again.
type request struct {
	op          string // send, find, void or executed: for errors and Observe
	method      string
	path        string // below the base URL: /signature_request/list
	query       url.Values
	contentType string
	body        []byte
	maxBody     int64 // bytes of answer read; 0 means maxJSONBody
	// handled reports answers that are not 2xx but that the caller deals with itself
	// (a 409 "files not ready", a cancel of a request already ended): not errors here.
	handled func(reply) bool
}

// reply is an answer that arrived, whatever its status.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) ok() bool { return r.status >= 200 && r.status < 300 }

// call sends r, retrying what may succeed later (429, 5xx, 408, transport errors) with
// backoff, and returns a 2xx or handled answer, or the *esign.Error of the last failure.
// Only idempotent requests go through call's retries; a create does not (see Send).
func (c *Client) call(ctx context.Context, r request) (reply, error) {
	for attempt := 1; ; attempt++ {
		rep, err := c.once(ctx, r)
		switch {
		case err == nil && (rep.ok() || (r.handled != nil && r.handled(rep))):
			c.observe(r.op, "ok")
			return rep, nil
		case err != nil && (ctx.Err() != nil || errors.Is(err, errTooLarge)):
			// The caller gave up, or the answer will not change: no retry.
			c.observe(r.op, "failed")
			return rep, fmt.Errorf("%s %s: %w", providerName, r.op, err)
		}
		perr := c.failure(r.op, rep, err)
		if perr.Permanent() {
			c.observe(r.op, "permanent")
			return rep, perr
		}
		if attempt >= c.cfg.MaxAttempts {
			c.observe(r.op, "failed")
			return rep, perr
		}
		if err := c.pause(ctx, attempt, perr); err != nil {
			c.observe(r.op, "failed")
			return rep, err
		}
		c.observe(r.op, "retried")
	}
}

// once sends r once. A nil error means an answer arrived, whatever its status.
func (c *Client) once(ctx context.Context, r request) (reply, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return reply{}, err
	}
	req.SetBasicAuth(c.cfg.APIKey, "")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	limit := r.maxBody
	if limit == 0 {
		limit = maxJSONBody
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return reply{}, err // cut short: as good as no answer
	}
	if int64(len(b)) > limit {
		return reply{status: resp.StatusCode, header: resp.Header}, fmt.Errorf("%w: over %d bytes", errTooLarge, limit)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// failure turns a failed exchange into an *esign.Error: Status 0 when no answer came.
func (c *Client) failure(op string, rep reply, err error) *esign.Error {
	if err != nil {
		return &esign.Error{Provider: providerName, Op: op, Message: err.Error()}
	}
	return &esign.Error{Provider: providerName, Op: op, Status: rep.status, Message: apiMessage(rep),
		RetryAfter: retryHint(rep.status, rep.header, c.now())}
}

// apiMessage is Dropbox Sign's "error_name: error_msg", or what else the body says.
func apiMessage(rep reply) string {
	if e, ok := decodeError(rep.body); ok {
		return e.ErrorName + ": " + e.ErrorMsg
	}
	if s := strings.TrimSpace(string(rep.body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	return http.StatusText(rep.status)
}

// retryHint is how long the provider asked us to wait: Retry-After, or on a 429 the
// rate-limit window's end, X-Ratelimit-Reset (Unix seconds), which is what Dropbox Sign
// documents for its limits.
func retryHint(status int, h http.Header, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status < 500 {
		return 0
	}
	if d := esign.RetryAfter(h, now); d > 0 {
		return d
	}
	if status == http.StatusTooManyRequests {
		if sec, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			if t := time.Unix(sec, 0); t.After(now) {
				return t.Sub(now)
			}
		}
	}
	return 0
}

// pause waits before attempt+1: the backoff, or longer when the provider asked. A
// provider asking for more than MaxWait gets its error back at once, RetryAfter set, for
// the job queue to wait out.
func (c *Client) pause(ctx context.Context, attempt int, perr *esign.Error) error {
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
