package checkr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"trustdocs/apierror"
)

const (
	providerName = "checkr"
	// maxBody bounds an answer: a report is a few KiB.
	maxBody = 1 << 20
	// maxMessage bounds the provider text kept in an error.
	maxMessage = 200
)

// get sends GET path, retrying what may succeed later (429, 408, 5xx, transport
// errors) as c.retry says, and returns a 2xx answer or the *apierror.Error of the last
// failure. op names the operation in errors and for Observe.
func (c *Client) get(ctx context.Context, op, path string) (apierror.Reply, error) {
	var rep apierror.Reply
	err := c.retry.Do(ctx, op, func() (*apierror.Error, error) {
		var err error
		rep, err = c.once(ctx, path)
		switch {
		case err == nil && rep.OK():
			return nil, nil // the caller observes ok once it has read the answer
		case err != nil && (ctx.Err() != nil || errors.Is(err, apierror.ErrTooLarge)):
			// The caller gave up, or the answer will not change: no retry.
			return nil, fmt.Errorf("%s %s: %w", providerName, op, err)
		}
		return c.failure(op, rep, err), nil
	})
	return rep, err
}

// once sends the request once. A nil error means an answer arrived, whatever its status.
func (c *Client) once(ctx context.Context, path string) (apierror.Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return apierror.Reply{}, err
	}
	req.SetBasicAuth(c.cfg.APIKey, "")
	req.Header.Set("Accept", "application/json")
	return apierror.Exchange(c.hc, req, maxBody)
}

// failure turns a failed exchange into an *apierror.Error: Status 0 when no answer came.
func (c *Client) failure(op string, rep apierror.Reply, err error) *apierror.Error {
	return dialect.Failure(op, rep, err, c.now())
}

// dialect is how this provider words its failures.
var dialect = apierror.Dialect{Provider: providerName, Message: apiMessage, Reset: rateLimitReset}

// apiMessage is Checkr's error text, the "error" member of its error bodies ("Bad
// authentication error", "Resource not found"), cut to maxMessage. A body in another
// shape (a proxy's page, a report where an error was expected) is not quoted: it could
// hold a report's content.
func apiMessage(rep apierror.Reply) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(rep.Body, &e) != nil || strings.TrimSpace(e.Error) == "" {
		return http.StatusText(rep.Status)
	}
	s := strings.TrimSpace(e.Error)
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

// rateLimitReset is how long Checkr asks us to wait on a 429 without Retry-After: until
// the time X-Ratelimit-Reset names, which is what Checkr documents for its rate limit
// (an RFC 3339 time: "2018-02-02T16:39:00Z").
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	if t, err := time.Parse(time.RFC3339, h.Get("X-Ratelimit-Reset")); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
