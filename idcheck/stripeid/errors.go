package stripeid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/stripe/stripe-go/v82"

	"trustdocs/apierror"
)

const provider = "stripe"

// failure turns what stripe-go returned into our error and reports the outcome.
//
//   - A Stripe error answer (*stripe.Error) becomes an *apierror.Error with its HTTP
//     status and Stripe's own message: permanent for a 4xx other than 408 and 429.
//   - No answer (a *url.Error from the transport) has status 0: retried by the job.
//   - An ended context is returned as such, wrapped.
//   - Anything else is an answer stripe-go could not read as Stripe's (a load
//     balancer's 502 page, or a garbled 200). stripe-go's text for it quotes the body,
//     which may be a session with a date of birth, so only the status is kept.
func (c *Client) failure(ctx context.Context, op string, rec *call, err error) error {
	if ctx.Err() != nil {
		c.observe(op, "failed")
		return fmt.Errorf("%s %s: %w", provider, op, ctx.Err())
	}
	e := &apierror.Error{Provider: provider, Op: op}
	var se *stripe.Error
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		e.Status, e.Message = se.HTTPStatusCode, se.Msg
		if e.Message == "" {
			e.Message = string(se.Type) + " " + string(se.Code)
		}
		if se.LastResponse != nil {
			e.RetryAfter = apierror.RetryAfter(se.LastResponse.Header, time.Now())
		}
	case errors.As(err, &ue):
		e.Message = ue.Err.Error() // the cause, without the URL
	default:
		status := int(rec.status.Load())
		e.Message = fmt.Sprintf("an HTTP %d answer that is not Stripe's (body not kept: it may hold personal data)", status)
		if status >= http.StatusBadRequest {
			e.Status = status
		}
	}
	if e.Permanent() {
		c.observe(op, "permanent")
	} else {
		c.observe(op, "failed")
	}
	return e
}
