// Package stripeid is the Stripe Identity idcheck.AgeChecker: it retrieves a
// verification session through Stripe's official Go client (stripe-go) and says whether
// its verified date of birth shows an adult. Stripe's webhook events never carry the
// date of birth: only a retrieve that expands verified_outputs.dob returns it, which is
// what this client does, and then drops it.
package stripeid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"

	"trustdocs/apierror"
	"trustdocs/idcheck"
)

// DefaultAPIURL is Stripe's API base URL.
const DefaultAPIURL = "https://api.stripe.com"

// DefaultMaxRetries is stripe-go's own default number of retries.
const DefaultMaxRetries = 2

// A retrieve is one small JSON answer; the caller's context bounds it too.
const defaultHTTPTimeout = 30 * time.Second

// expandDOB asks Stripe to include verified_outputs.dob, which it leaves out otherwise.
const expandDOB = "verified_outputs.dob"

// Config configures a Client.
type Config struct {
	APIKey string // a secret or restricted key with read access to Identity
	APIURL string // default DefaultAPIURL; tests point it at stripe-mock
	// HTTPClient defaults to a client with a 30-second timeout. The client is copied,
	// not changed.
	HTTPClient *http.Client
	// Observe, when set, is told the outcome of every operation: op is retrieve;
	// outcome is ok, retried (succeeded after stripe-go retried), permanent (a 4xx
	// refusal) or failed (out of retries, or the context ended).
	Observe func(op, outcome string)
	// MaxRetries is how many times stripe-go retries a failed request itself; 0 means
	// DefaultMaxRetries, a negative number none. stripe-go v82.5.1 retries a request
	// that got no answer, an answer that is not Stripe's (a load balancer's 502 page)
	// and a 429 lock_timeout, but not Stripe's own error answers, 5xx included: those
	// come back at once as a transient *apierror.Error, and the job retries them.
	MaxRetries int
}

// Client is the Stripe Identity age checker. It is safe for concurrent use.
type Client struct {
	cfg Config
	sc  *stripe.Client
}

var _ idcheck.AgeChecker = (*Client)(nil)

// New checks cfg and returns a Client; no request is made until the first call.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("stripeid: config is missing APIKey")
	}
	base, err := apierror.BaseURL("stripeid", cfg.APIURL, DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	retries := int64(cfg.MaxRetries)
	switch {
	case cfg.MaxRetries == 0:
		retries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		retries = 0
	}
	hc := http.Client{Timeout: defaultHTTPTimeout}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	hc.Transport = noting{next: hc.Transport}
	backend := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		HTTPClient:        &hc,
		URL:               stripe.String(base),
		MaxNetworkRetries: stripe.Int64(retries),
		// Silent: at debug level stripe-go logs every response body, and its error
		// logs quote bodies it cannot decode; either could hold a date of birth.
		// Outcomes go to Observe and errors instead.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	// Only the API backend: a retrieve never uses Connect, Uploads or MeterEvents.
	sc := stripe.NewClient(cfg.APIKey, stripe.WithBackends(&stripe.Backends{API: backend}))
	return &Client{cfg: cfg, sc: sc}, nil
}

// Name is the provider's name in Deps.AgeCheckers and our metrics.
func (*Client) Name() string { return "stripe" }

// AgeVerified retrieves verification session ref with its date of birth and reports
// whether it shows someone of idcheck.AdultAge at at. found is false when the session
// has no verified outputs or no complete date of birth. Failures are *apierror.Error
// (Stripe's status and words), except for an ended context and an empty ref.
func (c *Client) AgeVerified(ctx context.Context, ref string, at time.Time) (adult, found bool, err error) {
	if strings.TrimSpace(ref) == "" {
		// GET .../verification_sessions/ would be the list endpoint: never send it.
		return false, false, errors.New("stripe retrieve: empty verification session id")
	}
	params := &stripe.IdentityVerificationSessionRetrieveParams{}
	params.AddExpand(expandDOB)
	var rec call
	session, err := c.sc.V1IdentityVerificationSessions.Retrieve(withCall(ctx, &rec), ref, params)
	if err != nil {
		return false, false, c.failure(ctx, "retrieve", &rec, err)
	}
	c.succeeded("retrieve", rec.attempts.Load())
	birthdate, ok := birthdate(session)
	if !ok {
		return false, false, nil
	}
	return idcheck.Adult(birthdate, at), true, nil
}

// birthdate is the session's verified date of birth as YYYY-MM-DD; ok is false when
// there is none or it is incomplete (Stripe's day, month and year are each nullable).
func birthdate(s *stripe.IdentityVerificationSession) (string, bool) {
	if s.VerifiedOutputs == nil || s.VerifiedOutputs.DOB == nil {
		return "", false
	}
	d := s.VerifiedOutputs.DOB
	date := fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", false
	}
	return date, true
}

func (c *Client) succeeded(op string, attempts int32) {
	if attempts > 1 {
		c.observe(op, "retried")
		return
	}
	c.observe(op, "ok")
}

func (c *Client) observe(op, outcome string) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(op, outcome)
	}
}
