package docusign

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"trustdocs/apierror"
)

// Defaults for the zero values of Config.
const (
	DefaultAuthURL     = "https://account.docusign.com"
	DefaultMaxAttempts = apierror.DefaultMaxAttempts
	DefaultMaxWait     = apierror.DefaultMaxWait
	defaultHTTPTimeout = 2 * time.Minute
)

// Config is what the client needs of the DocuSign account it sends through.
type Config struct {
	// AuthURL is the OAuth host: https://account.docusign.com (the default), or
	// https://account-d.docusign.com for the developer sandbox.
	AuthURL        string
	IntegrationKey string // the app's client id
	UserID         string // the user the app impersonates (granted consent once)
	AccountID      string // the account envelopes are sent from
	PrivateKeyPEM  []byte // the integration key's RSA private key, PEM (PKCS#1 or PKCS#8)
	// WebhookURL receives the envelopes' Connect messages: $WEBHOOK_PUBLIC_URL/webhooks/docusign.
	WebhookURL string
	HTTPClient *http.Client     // default: a client with a 2-minute timeout
	Now        func() time.Time // default time.Now; token expiry and search windows use it
	// Observe, when set, is told the outcome of every operation: op is token, userinfo,
	// send, find, void or executed; outcome is ok, retried (succeeded after retrying),
	// permanent (refused as it is) or failed (gave up).
	Observe     func(op, outcome string)
	MaxAttempts int           // attempts per call, default 5
	MaxWait     time.Duration // cap on one backoff wait, default 30s
}

// Client is the DocuSign provider. It is safe for concurrent use.
type Client struct {
	cfg     Config
	key     *rsa.PrivateKey
	authURL string // without a trailing slash
	aud     string // the auth host, the JWT assertion's audience

	auth   auth
	policy apierror.Retry // attempts, backoff and Observe for retry (retry.go), DocuSign's own loop
}

// New checks cfg and returns a client; the error names every missing or invalid setting.
// No request is made until the first call.
func New(cfg Config) (*Client, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	authURL, err := checkURL(cfg.AuthURL)
	if err != nil {
		bad("AuthURL: %v", err)
	}
	for name, v := range map[string]string{"IntegrationKey": cfg.IntegrationKey, "UserID": cfg.UserID, "AccountID": cfg.AccountID} {
		if strings.TrimSpace(v) == "" {
			bad("%s is empty", name)
		}
	}
	key, err := parseRSAKey(cfg.PrivateKeyPEM)
	if err != nil {
		bad("PrivateKeyPEM: %v", err)
	}
	if cfg.WebhookURL == "" {
		bad("WebhookURL is empty (envelopes would send their Connect events nowhere)")
	} else if _, err := checkURL(cfg.WebhookURL); err != nil {
		bad("WebhookURL: %v", err)
	}
	if cfg.MaxAttempts < 0 {
		bad("MaxAttempts is negative")
	}
	if cfg.MaxWait < 0 {
		bad("MaxWait is negative")
	}
	if len(problems) > 0 {
		slices.Sort(problems) // the map above has no order
		return nil, errors.New("docusign: invalid config: " + strings.Join(problems, "; "))
	}

	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	policy := apierror.Retry{MaxAttempts: cfg.MaxAttempts, MaxWait: cfg.MaxWait, FirstWait: firstBackoff, Observe: cfg.Observe}
	policy.SetDefaults()
	return &Client{cfg: cfg, key: key, authURL: strings.TrimSuffix(authURL.String(), "/"), aud: authURL.Host, policy: policy}, nil
}

// Name is the provider's name in our tables and webhook paths.
func (c *Client) Name() string { return "docusign" }

// checkURL accepts an absolute https URL, or http on a loopback host (the tests'
// stand-in): DocuSign itself only speaks, and only posts Connect messages to, https.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%q is not https", raw)
}

// parseRSAKey reads an RSA private key from PEM, PKCS#1 ("RSA PRIVATE KEY", what
// DocuSign's admin page generates) or PKCS#8 ("PRIVATE KEY").
func parseRSAKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	if len(pemBytes) == 0 {
		return nil, errors.New("empty")
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("RSA PRIVATE KEY block: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PRIVATE KEY block: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PRIVATE KEY block holds a %T, not an RSA key (DocuSign signs with RS256)", k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("PEM block is %q, want an RSA private key (RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
}

// Check proves the configuration against DocuSign without sending anything: a token by
// the JWT grant (integration key, private key, user, consent) and the account's base
// URI from userinfo (the account id). `pipelinectl check` runs it.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.baseURI(ctx)
	return err
}
