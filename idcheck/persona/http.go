package persona

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"trustdocs/apierror"
)

const (
	providerName = "persona"
	// baseDelay is the first backoff; each retry doubles it, up to Config.MaxWait.
	baseDelay = time.Second
	// maxBody bounds an answer: an inquiry with its verifications is a few tens of KiB.
	maxBody = 4 << 20
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

// get sends GET path?query, retrying what may succeed later (429, 408, 5xx, transport
// errors) with backoff, and returns a 2xx answer or the *apierror.Error of the last
// failure. op names the operation in errors and for Observe.
func (c *Client) get(ctx context.Context, op, path string, query url.Values) (reply, error) {
	for attempt := 1; ; attempt++ {
		rep, err := c.once(ctx, path, query)
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
func (c *Client) once(ctx context.Context, path string, query url.Values) (reply, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	req.Header.Set("Persona-Version", c.cfg.Version)
	req.Header.Set("Key-Inflection", "kebab")
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

// apiMessage is Persona's errors[].title and details ("Record not found", "Rate limit
// exceeded: You have hit your rate limit of 300 requests / min. ..."), joined, cut and
// with dates masked. A body in another shape (a proxy's page, an inquiry where an error
// was expected) is not quoted: it could hold personal data.
func apiMessage(rep reply) string {
	var e struct {
		Errors []struct {
			Title   string `json:"title"`
			Details string `json:"details"` // Persona's API document
			Detail  string `json:"detail"`  // JSON:API's own spelling
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(rep.body, &e) == nil {
		for _, x := range e.Errors {
			s := strings.TrimSpace(x.Title)
			for _, d := range []string{x.Details, x.Detail} {
				if d = strings.TrimSpace(d); d != "" {
					s = strings.TrimPrefix(s+": "+d, ": ")
				}
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
	}
	if len(parts) == 0 {
		return http.StatusText(rep.status)
	}
	return scrub(strings.Join(parts, "; "))
}

// dateLike matches what could be a date of birth in a provider's message.
var dateLike = regexp.MustCompile(`\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}`)

// scrub masks anything shaped like a date and cuts s to maxMessage runes.
func scrub(s string) string {
	s = dateLike.ReplaceAllString(s, "[date]")
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

// retryHint is how long Persona asked us to wait: Retry-After, or on a 429 the
// RateLimit-Reset header, which Persona documents as the seconds until the rate limit
// window resets (it documents no Retry-After).
func retryHint(status int, h http.Header, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status < 500 {
		return 0
	}
	if d := apierror.RetryAfter(h, now); d > 0 {
		return d
	}
	if status == http.StatusTooManyRequests {
		if s, err := strconv.Atoi(h.Get("RateLimit-Reset")); err == nil && s > 0 {
			return time.Duration(s) * time.Second
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
