package persona

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"trustdocs/apierror"
	"trustdocs/idcheck"
)

// DefaultAPIURL is the host Persona's API document names as its server (the API is
// under /api/v1).
const DefaultAPIURL = "https://api.withpersona.com"

// DefaultVersion is the Persona-Version sent when Config.Version is empty: the latest
// version Persona has released, whose Retrieve an Inquiry answer the stand-in plays.
const DefaultVersion = "2025-12-08"

// defaultHTTPTimeout bounds one small JSON document; the caller's context bounds it too.
const defaultHTTPTimeout = 30 * time.Second

// Config configures a Client.
type Config struct {
	APIKey  string
	APIURL  string // default DefaultAPIURL
	Version string // Persona-Version; default DefaultVersion
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

// Client is the Persona idcheck.AgeChecker.
type Client struct {
	cfg   Config
	base  string // APIURL without a trailing slash
	hc    *http.Client
	now   func() time.Time
	retry apierror.Retry
}

var _ idcheck.AgeChecker = (*Client)(nil)

// New checks cfg and returns a Client; the error names what is missing or wrong.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, fmt.Errorf("%s: config is missing APIKey", providerName)
	}
	base, err := apierror.BaseURL(providerName, cfg.APIURL, DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if _, err := time.Parse(time.DateOnly, cfg.Version); err != nil {
		return nil, fmt.Errorf("%s: Version %q is not a Persona API version (YYYY-MM-DD)", providerName, cfg.Version)
	}
	retry := apierror.Retry{MaxAttempts: cfg.MaxAttempts, MaxWait: cfg.MaxWait, Sleep: cfg.Sleep, Observe: cfg.Observe}
	retry.SetDefaults()
	return &Client{cfg: cfg, base: base, hc: apierror.HTTPClient(cfg.HTTPClient, defaultHTTPTimeout), now: time.Now, retry: retry}, nil
}

// Name is the provider's name, as in /webhooks/{provider}.
func (*Client) Name() string { return providerName }
