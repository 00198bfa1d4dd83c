package stripeid

import (
	"context"
	"net/http"
	"sync/atomic"
)

// stripe-go retries inside one call and says neither whether it did nor, when an answer
// is not a Stripe error, which HTTP status it had. Observe's "retried" and the error's
// Status need both, so the client's transport notes them for each call in a record
// that the call puts in its context (stripe-go sends every attempt with the caller's
// context).
type call struct {
	attempts atomic.Int32
	status   atomic.Int32 // of the last attempt; 0 when it got no answer
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// noting is the client's transport: the configured one (or the default), noting each
// attempt in its call's record.
type noting struct{ next http.RoundTripper }

func (n noting) RoundTrip(r *http.Request) (*http.Response, error) {
	next := n.next
	if next == nil {
		next = http.DefaultTransport
	}
	c, ok := r.Context().Value(callKey{}).(*call)
	if !ok {
		return next.RoundTrip(r)
	}
	c.attempts.Add(1)
	resp, err := next.RoundTrip(r)
	if err != nil {
		c.status.Store(0)
		return resp, err
	}
	c.status.Store(int32(resp.StatusCode))
	return resp, nil
}
