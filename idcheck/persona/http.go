package persona

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// maxBody bounds an answer: an inquiry with its verifications is a few tens of KiB.
	maxBody = 4 << 20
	// maxMessage bounds the provider text kept in an error.
	maxMessage = 200
)

// get sends GET path?query, retrying what may succeed later (429, 408, 5xx, transport
// errors) as c.retry says, and returns a 2xx answer or the *apierror.Error of the last
// failure. op names the operation in errors and for Observe.
func (c *Client) get(ctx context.Context, op, path string, query url.Values) (apierror.Reply, error) {
	var rep apierror.Reply
	err := c.retry.Do(ctx, op, func() (*apierror.Error, error) {
		var err error
		rep, err = c.once(ctx, path, query)
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
func (c *Client) once(ctx context.Context, path string, query url.Values) (apierror.Reply, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return apierror.Reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	req.Header.Set("Persona-Version", c.cfg.Version)
	req.Header.Set("Key-Inflection", "kebab")
	req.Header.Set("Accept", "application/json")
	return apierror.Exchange(c.hc, req, maxBody)
}

// failure turns a failed exchange into an *apierror.Error: Status 0 when no answer came.
func (c *Client) failure(op string, rep apierror.Reply, err error) *apierror.Error {
	return dialect.Failure(op, rep, err, c.now())
}

// dialect is how this provider words its failures.
var dialect = apierror.Dialect{Provider: providerName, Message: apiMessage, Reset: rateLimitReset}

// apiMessage is Persona's errors[].title and details ("Record not found", "Rate limit
// exceeded: You have hit your rate limit of 300 requests / min. ..."), joined, cut and
// with dates masked. A body in another shape (a proxy's page, an inquiry where an error
// was expected) is not quoted: it could hold personal data.
func apiMessage(rep apierror.Reply) string {
	var e struct {
		Errors []struct {
			Title   string `json:"title"`
			Details string `json:"details"` // Persona's API document
			Detail  string `json:"detail"`  // JSON:API's own spelling
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(rep.Body, &e) == nil {
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
		return http.StatusText(rep.Status)
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

// rateLimitReset is how long Persona asks us to wait on a 429 without Retry-After (it
// documents none): its RateLimit-Reset header, the seconds until the rate limit window
// resets.
func rateLimitReset(h http.Header, _ time.Time) time.Duration {
	if s, err := strconv.Atoi(h.Get("RateLimit-Reset")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
