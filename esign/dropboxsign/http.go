package dropboxsign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"trustdocs/apierror"
	"trustdocs/esign"
)

const (
	providerName = "dropboxsign"
	maxJSONBody  = 8 << 20
	maxFileBody  = 256 << 20 // an executed PDF with its audit trail
)

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
	handled func(apierror.Reply) bool
}

// call sends r, retrying what may succeed later (429, 5xx, 408, transport errors) with
// backoff, and returns a 2xx or handled answer, or the *esign.Error of the last failure.
// Only idempotent requests go through call's retries; a create does not (see Send).
func (c *Client) call(ctx context.Context, r request) (apierror.Reply, error) {
	var rep apierror.Reply
	err := c.retry.Do(ctx, r.op, func() (*esign.Error, error) {
		var err error
		rep, err = c.once(ctx, r)
		switch {
		case err == nil && (rep.OK() || (r.handled != nil && r.handled(rep))):
			return nil, nil
		case err != nil && (ctx.Err() != nil || errors.Is(err, apierror.ErrTooLarge)):
			// The caller gave up, or the answer will not change: no retry.
			return nil, fmt.Errorf("%s %s: %w", providerName, r.op, err)
		}
		return c.failure(r.op, rep, err), nil
	})
	if err == nil {
		c.retry.Outcome(r.op, "ok")
	}
	return rep, err
}

// once sends r once. A nil error means an answer arrived, whatever its status.
func (c *Client) once(ctx context.Context, r request) (apierror.Reply, error) {
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
		return apierror.Reply{}, err
	}
	req.SetBasicAuth(c.cfg.APIKey, "")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	limit := r.maxBody
	if limit == 0 {
		limit = maxJSONBody
	}
	return apierror.Exchange(c.hc, req, limit)
}

// failure turns a failed exchange into an *esign.Error: Status 0 when no answer came.
func (c *Client) failure(op string, rep apierror.Reply, err error) *esign.Error {
	return dialect.Failure(op, rep, err, c.now())
}

// dialect is how this provider words its failures.
var dialect = apierror.Dialect{Provider: providerName, Message: apiMessage, Reset: rateLimitReset}

// apiMessage is Dropbox Sign's "error_name: error_msg", or what else the body says.
func apiMessage(rep apierror.Reply) string {
	if e, ok := decodeError(rep.Body); ok {
		return e.ErrorName + ": " + e.ErrorMsg
	}
	if s := strings.TrimSpace(string(rep.Body)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	return http.StatusText(rep.Status)
}

// rateLimitReset is how long Dropbox Sign asks us to wait on a 429 without Retry-After:
// until the rate-limit window's end, X-Ratelimit-Reset (Unix seconds), which is what it
// documents for its limits.
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	if sec, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
		if t := time.Unix(sec, 0); t.After(now) {
			return t.Sub(now)
		}
	}
	return 0
}
