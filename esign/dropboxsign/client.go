package dropboxsign

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"trustdocs/esign"
)

// DefaultAPIURL is Dropbox Sign's API v3 base URL.
const DefaultAPIURL = "https://api.hellosign.com/v3"

const (
	defaultMaxAttempts = 5
	defaultMaxWait     = 30 * time.Second
	// An upload of a large PDF can take a while; the caller's context bounds it too.
	defaultHTTPTimeout = 2 * time.Minute
)

// Config configures a Client.
type Config struct {
	APIKey   string
	APIURL   string // default DefaultAPIURL
	TestMode bool   // send requests with test_mode: not legally binding, not billed
	// HTTPClient defaults to a client with a two-minute timeout.
	HTTPClient *http.Client
	// Observe, when set, is told the outcome of every operation: op is send, find, void
	// or executed; outcome is ok, retried (once per retry), permanent (a 4xx refusal) or
	// failed (out of attempts, or the context ended).
	Observe func(op, outcome string)
	// MaxAttempts bounds the tries of one operation; default 5.
	MaxAttempts int
	// MaxWait caps each backoff; default 30s. A provider asking for a longer wait ends
	// the operation with an *esign.Error whose RetryAfter says how long.
	MaxWait time.Duration
	// Sleep waits between attempts; default a timer that gives up when ctx ends. Tests
	// replace it to record the waits and not spend them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is the Dropbox Sign esign.Provider.
type Client struct {
	cfg  Config
	base string // APIURL without a trailing slash
	hc   *http.Client
	now  func() time.Time
}

var _ esign.Provider = (*Client)(nil)

// New checks cfg and returns a Client; the error names what is missing or wrong.
func New(cfg Config) (*Client, error) {
	var missing []string
	if strings.TrimSpace(cfg.APIKey) == "" {
		missing = append(missing, "APIKey")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("dropboxsign: config is missing %s", strings.Join(missing, ", "))
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(cfg.APIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("dropboxsign: APIURL %q is not an absolute http(s) URL", cfg.APIURL)
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

// Name is the provider's name, as in /webhooks/{provider} and the envelopes table.
func (*Client) Name() string { return "dropboxsign" }

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

// Check proves the API key against Dropbox Sign without sending anything: a list of
// one signature request. `pipelinectl check` runs it.
func (c *Client) Check(ctx context.Context) error {
	q := url.Values{"page": {"1"}, "page_size": {"1"}}
	rep, err := c.call(ctx, request{op: "find", method: http.MethodGet, path: "/signature_request/list", query: q})
	if err != nil {
		return err
	}
	if !rep.ok() {
		return c.failure("find", rep, nil)
	}
	return nil
}
