package persona

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"trustdocs/idcheck"
)

// DefaultAPIURL is the host Persona's API document names as its server (the API is
// under /api/v1).
const DefaultAPIURL = "https://api.withpersona.com"

// DefaultVersion is the Persona-Version sent when Config.Version is empty: the latest
// version Persona has released, whose Retrieve an Inquiry answer the stand-in plays.
const DefaultVersion = "2025-12-08"

const (
	defaultMaxAttempts = 5
	defaultMaxWait     = 30 * time.Second
	// One small JSON document; the caller's context bounds it too.
	defaultHTTPTimeout = 30 * time.Second
)

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
	// MaxAttempts bounds the tries of one retrieval; default 5.
	MaxAttempts int
	// MaxWait caps each backoff; default 30s. A provider asking for a longer wait ends
	// the retrieval with an *apierror.Error whose RetryAfter says how long.
	MaxWait time.Duration
	// Sleep waits between attempts; default a timer that gives up when ctx ends. Tests
	// replace it to record the waits and not spend them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is the Persona idcheck.AgeChecker.
type Client struct {
	cfg  Config
	base string // APIURL without a trailing slash
	hc   *http.Client
	now  func() time.Time
}

var _ idcheck.AgeChecker = (*Client)(nil)

// New checks cfg and returns a Client; the error names what is missing or wrong.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, fmt.Errorf("%s: config is missing APIKey", providerName)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(cfg.APIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: APIURL %q is not an absolute http(s) URL", providerName, cfg.APIURL)
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if _, err := time.Parse(time.DateOnly, cfg.Version); err != nil {
		return nil, fmt.Errorf("%s: Version %q is not a Persona API version (YYYY-MM-DD)", providerName, cfg.Version)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = defaultMaxWait
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.APIURL, "/"), hc: hc, now: time.Now}, nil
}

// Name is the provider's name, as in /webhooks/{provider}.
func (*Client) Name() string { return providerName }

func (c *Client) observe(op, outcome string) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(op, outcome)
	}
}

// sleep waits d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
