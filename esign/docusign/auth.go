package docusign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"trustdocs/esign"
)

const (
	jwtGrantType  = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	jwtScope      = "signature impersonation"
	assertionLife = time.Hour // the longest DocuSign accepts
	// refreshMargin: a token is replaced this long before it expires (or at 80% of its
	// life when that is shorter), so that no request leaves with a token about to die.
	refreshMargin = 5 * time.Minute
)

// auth holds what the OAuth service told us: the access token and the account's base
// URI, each fetched by one request however many goroutines need it at once.
type auth struct {
	mu        sync.Mutex
	token     string
	refreshAt time.Time
	base      string // https://demo.docusign.net, from userinfo; it does not change

	tokens flight[string]
	bases  flight[string]
}

// invalidate drops tok if it is still the cached token (a concurrent caller may have
// replaced it already).
func (a *auth) invalidate(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == tok {
		a.token = ""
	}
}

func (a *auth) cached(now time.Time) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && now.Before(a.refreshAt) {
		return a.token
	}
	return ""
}

// token returns a valid access token, from the cache or from one JWT grant shared by
// every caller that needs it meanwhile.
func (c *Client) token(ctx context.Context) (string, error) {
	if t := c.auth.cached(c.cfg.Now()); t != "" {
		return t, nil
	}
	return c.auth.tokens.do(ctx, func(ctx context.Context) (string, error) {
		if t := c.auth.cached(c.cfg.Now()); t != "" {
			return t, nil // fetched by the flight that just landed
		}
		return c.fetchToken(ctx)
	})
}

// fetchToken makes the JWT grant: POST {AuthURL}/oauth/token with an RS256 assertion.
func (c *Client) fetchToken(ctx context.Context) (string, error) {
	now := c.cfg.Now()
	assertion, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss":   c.cfg.IntegrationKey,
		"sub":   c.cfg.UserID,
		"aud":   c.aud, // a plain string: DocuSign wants the host, not an array
		"scope": jwtScope,
		"iat":   now.Unix(),
		"exp":   now.Add(assertionLife).Unix(),
	}).SignedString(c.key)
	if err != nil {
		return "", fmt.Errorf("docusign token: signing the assertion: %w", err)
	}
	form := url.Values{"grant_type": {jwtGrantType}, "assertion": {assertion}}
	r := request{op: "token", method: http.MethodPost, url: c.authURL + "/oauth/token",
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"}
	var resp *response
	err = c.retry(ctx, r.op, func() error {
		var err error
		resp, err = c.roundTrip(ctx, r, "")
		return err
	})
	if err != nil {
		return "", consentHint(err)
	}
	var t tokenResponse
	if err := json.Unmarshal(resp.body, &t); err != nil {
		return "", fmt.Errorf("docusign token: decoding the answer: %w", err)
	}
	if t.AccessToken == "" {
		return "", errors.New("docusign token: no access_token in the answer")
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	c.auth.mu.Lock()
	c.auth.token, c.auth.refreshAt = t.AccessToken, now.Add(life-min(refreshMargin, life/5))
	c.auth.mu.Unlock()
	return t.AccessToken, nil
}

// consentHint adds the usual cure to DocuSign's consent_required: the user has never
// granted the integration key the impersonation scope.
func consentHint(err error) error {
	var pe *esign.Error
	if errors.As(err, &pe) && strings.HasPrefix(pe.Message, "consent_required") {
		pe.Message += " (the user must grant the integration key consent to the scopes " + jwtScope + " once)"
	}
	return err
}

// baseURI is the account's base URI, asked of userinfo once.
func (c *Client) baseURI(ctx context.Context) (string, error) {
	c.auth.mu.Lock()
	base := c.auth.base
	c.auth.mu.Unlock()
	if base != "" {
		return base, nil
	}
	return c.auth.bases.do(ctx, func(ctx context.Context) (string, error) {
		var u userInfo
		r := request{op: "userinfo", method: http.MethodGet, url: c.authURL + "/oauth/userinfo"}
		err := c.retry(ctx, r.op, func() error {
			resp, err := c.authorized(ctx, r)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(resp.body, &u); err != nil {
				return final{fmt.Errorf("docusign userinfo: %w", err)}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		var known []string
		for _, a := range u.Accounts {
			if a.AccountID == c.cfg.AccountID {
				if _, err := checkURL(a.BaseURI); err != nil {
					return "", fmt.Errorf("docusign userinfo: account %s: base_uri: %w", a.AccountID, err)
				}
				c.auth.mu.Lock()
				c.auth.base = strings.TrimSuffix(a.BaseURI, "/")
				c.auth.mu.Unlock()
				return strings.TrimSuffix(a.BaseURI, "/"), nil
			}
			known = append(known, a.AccountID)
		}
		// Not DocuSign's status (userinfo answered 200): ours, so that the error reads as
		// the permanent refusal it is; no retry gives the user that account.
		return "", &esign.Error{Provider: "docusign", Op: "userinfo", Status: http.StatusForbidden,
			Message: fmt.Sprintf("user %s has no account %s (their accounts: %s)", c.cfg.UserID, c.cfg.AccountID, strings.Join(known, ", "))}
	})
}

// flight runs one call at a time for all the goroutines that want its result: the ones
// arriving while it runs wait for it instead of starting their own (a hand-made
// singleflight, the module has no golang.org/x/sync).
type flight[T any] struct {
	mu   sync.Mutex
	call *flightCall[T]
}

type flightCall[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// do runs fn, or joins the run in progress. The run does not stop when the goroutine
// that started it gives up (its ctx is cancelled): the others may still want it; each
// caller stops waiting when its own ctx is done.
func (f *flight[T]) do(ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	f.mu.Lock()
	c := f.call
	if c == nil {
		c = &flightCall[T]{done: make(chan struct{})}
		f.call = c
		go func() {
			c.val, c.err = fn(context.WithoutCancel(ctx))
			f.mu.Lock()
			f.call = nil
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
