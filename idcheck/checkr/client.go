package checkr

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"trustdocs/apierror"
	"trustdocs/idcheck"
)

// DefaultAPIURL is Checkr's production API host (the API is under /v1). Checkr's
// staging host is https://api.checkr-staging.com.
const DefaultAPIURL = "https://api.checkr.com"

// defaultHTTPTimeout bounds one small JSON document; the caller's context bounds it too.
const defaultHTTPTimeout = 30 * time.Second

// Config configures a Client.
type Config struct {
	APIKey string // sent as the HTTP Basic user name, with an empty password
	APIURL string // default DefaultAPIURL
	// HTTPClient defaults to a client with a 30-second timeout.
	HTTPClient *http.Client
	// Observe, when set, is told the outcome of every retrieval: op is "retrieve";
	// outcome is ok, retried (once per retry), permanent (a 4xx refusal) or failed (out
	// of attempts, an unreadable answer, or the context ended).
	Observe func(op, outcome string)
	// MaxAttempts (default 5), MaxWait (default 30s) and Sleep (default a timer) are the
	// retrieval's retry policy: see apierror.Retry.
	MaxAttempts int
	MaxWait     time.Duration
	Sleep       func(ctx context.Context, d time.Duration) error
}

// Client is the Checkr idcheck.ReportReader.
type Client struct {
	cfg   Config
	base  string // APIURL without a trailing slash
	hc    *http.Client
	now   func() time.Time
	retry apierror.Retry
}

var _ idcheck.ReportReader = (*Client)(nil)

// New checks cfg and returns a Client; the error names what is missing or wrong.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, fmt.Errorf("%s: config is missing APIKey", providerName)
	}
	base, err := apierror.BaseURL(providerName, cfg.APIURL, DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	retry := apierror.Retry{MaxAttempts: cfg.MaxAttempts, MaxWait: cfg.MaxWait, Sleep: cfg.Sleep, Observe: cfg.Observe}
	retry.SetDefaults()
	return &Client{cfg: cfg, base: base, hc: apierror.HTTPClient(cfg.HTTPClient, defaultHTTPTimeout), now: time.Now, retry: retry}, nil
}

// Name is the provider's name, as in /webhooks/{provider}.
func (*Client) Name() string { return providerName }
