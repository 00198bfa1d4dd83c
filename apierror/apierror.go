// Package apierror is how trustdocs' clients of outside providers' APIs (e-sign,
// identity, background checks) report a request that did not succeed: with the
// provider's own words, the HTTP status, and whether retrying can help, so jobs decide
// the same way for every provider (a permanent refusal cancels the job with its reason;
// anything else is retried with backoff).
//
// It also holds what those clients share on the way: Retry, the policy and loop of
// their retries; Exchange, one request's answer (a Reply) read within a size limit; and
// RetryHint, the wait a provider asked for.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is a provider's answer that was not a success, with the provider's own text.
type Error struct {
	Provider   string
	Op         string // send, find, void, executed, token, retrieve, ...
	Status     int    // HTTP status; 0 when no response arrived
	Message    string // the provider's error text
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s %s: %s", e.Provider, e.Op, e.Message)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Provider, e.Op, e.Status, e.Message)
}

// Permanent reports whether retrying cannot help: a 4xx other than 408 and 429 (the
// provider refused this request as it is).
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// IsPermanent reports whether err is a provider's permanent refusal.
func IsPermanent(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Permanent()
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date); 0 when absent.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// RetryHint is how long a provider asked us to wait after an answer of status: none
// but for a 429 or a 5xx; then Retry-After, or else, on a 429, what reset reads in the
// provider's own rate-limit headers (0 when they say nothing).
func RetryHint(status int, h http.Header, now time.Time, reset func(h http.Header, now time.Time) time.Duration) time.Duration {
	if status != http.StatusTooManyRequests && status < 500 {
		return 0
	}
	if d := RetryAfter(h, now); d > 0 {
		return d
	}
	if status == http.StatusTooManyRequests {
		return reset(h, now)
	}
	return 0
}

// Dialect is how one provider words a failure: its name, the text it puts in an error
// body, and how its rate-limit headers say when to come back after a 429.
type Dialect struct {
	Provider string
	Message  func(Reply) string
	Reset    func(h http.Header, now time.Time) time.Duration
}

// Failure turns a failed exchange into an *Error: Status 0 when no answer came (err),
// else the provider's status, its words and the wait it asked for.
func (d Dialect) Failure(op string, rep Reply, err error, now time.Time) *Error {
	if err != nil {
		return &Error{Provider: d.Provider, Op: op, Message: err.Error()}
	}
	return &Error{Provider: d.Provider, Op: op, Status: rep.Status, Message: d.Message(rep),
		RetryAfter: RetryHint(rep.Status, rep.Header, now, d.Reset)}
}
