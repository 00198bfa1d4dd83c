package dropboxsign

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"trustdocs/apierror"
	"trustdocs/esign"
)

// DefaultAPIURL is Dropbox Sign's API v3 base URL.
const DefaultAPIURL = "https://api.hellosign.com/v3"

// defaultHTTPTimeout: an upload of a large PDF can take a while; the caller's context
// bounds it too.
const defaultHTTPTimeout = 2 * time.Minute

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
	// MaxAttempts (default 5), MaxWait (default 30s) and Sleep (default a timer) are the
	// operations' retry policy: see apierror.Retry.
	MaxAttempts int
	MaxWait     time.Duration
	Sleep       func(ctx context.Context, d time.Duration) error
}

// Client is the Dropbox Sign esign.Provider.
type Client struct {
	cfg   Config
	base  string // APIURL without a trailing slash
	hc    *http.Client
	now   func() time.Time
	retry apierror.Retry
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
	base, err := apierror.BaseURL("dropboxsign", cfg.APIURL, DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	retry := apierror.Retry{MaxAttempts: cfg.MaxAttempts, MaxWait: cfg.MaxWait, Sleep: cfg.Sleep, Observe: cfg.Observe}
	retry.SetDefaults()
	return &Client{cfg: cfg, base: base, hc: apierror.HTTPClient(cfg.HTTPClient, defaultHTTPTimeout), now: time.Now, retry: retry}, nil
}

// Name is the provider's name, as in /webhooks/{provider} and the envelopes table.
func (*Client) Name() string { return "dropboxsign" }

// Check proves the API key against Dropbox Sign without sending anything: a list of
// one signature request. `pipelinectl check` runs it.
func (c *Client) Check(ctx context.Context) error {
	q := url.Values{"page": {"1"}, "page_size": {"1"}}
	rep, err := c.call(ctx, request{op: "find", method: http.MethodGet, path: "/signature_request/list", query: q})
	if err != nil {
		return err
	}
	if !rep.OK() {
		return c.failure("find", rep, nil)
	}
	return nil
}
