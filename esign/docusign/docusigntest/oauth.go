package docusigntest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// oauthError is the OAuth service's error body.
func oauthError(status int, code, description string) answer {
	return jsonAnswer(status, map[string]string{"error": code, "error_description": description})
}

// handleToken is the JWT grant: the assertion must be RS256, signed by the integration
// key's key, from the integration key (iss) for the user (sub), addressed to this auth
// host (aud), asking for "signature impersonation", and current.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenReqs++
	s.calls[OpToken]++
	delay := s.tokenDelay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if f, ok := s.faults.Take(OpToken); ok {
		a := oauthError(f.status, "temporarily_unavailable", "injected fault")
		if f.status < 500 && f.status != http.StatusTooManyRequests {
			a = oauthError(f.status, "invalid_grant", "injected fault")
		}
		s.write(w, withRetryAfter(a, f.retryAfter))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.write(w, oauthError(http.StatusBadRequest, "invalid_request", err.Error()))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		s.write(w, oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type "+gt))
		return
	}
	aud, _ := url.Parse(s.srv.URL)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(s.integrationKey), jwt.WithSubject(s.userID),
		jwt.WithAudience(aud.Host), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(s.now))
	if err != nil {
		s.write(w, oauthError(http.StatusBadRequest, "invalid_grant", err.Error()))
		return
	}
	if exp, _ := claims.GetExpirationTime(); exp != nil && exp.Sub(s.now()) > time.Hour+time.Minute {
		s.write(w, oauthError(http.StatusBadRequest, "invalid_grant", "exp more than an hour away"))
		return
	}
	scope, _ := claims["scope"].(string)
	if f := strings.Fields(scope); !slices.Contains(f, "signature") || !slices.Contains(f, "impersonation") {
		s.write(w, oauthError(http.StatusBadRequest, "invalid_scope", "scope "+scope+" lacks signature impersonation"))
		return
	}
	tok := s.IssueToken()
	s.write(w, jsonAnswer(http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int64(s.tokenLife / time.Second),
	}))
}

// handleUserInfo names the user's accounts. The account under test is not the default
// one, and comes second: the client must pick it by id.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	s.count(OpUserInfo)
	if f, ok := s.faults.Take(OpUserInfo); ok {
		s.write(w, withRetryAfter(oauthError(f.status, "server_error", "injected fault"), f.retryAfter))
		return
	}
	if !s.validToken(bearer(r)) {
		s.write(w, oauthError(http.StatusUnauthorized, "invalid_token", "unknown or expired access token"))
		return
	}
	s.write(w, jsonAnswer(http.StatusOK, map[string]any{
		"sub": s.userID, "name": "Test Sender", "email": "sender@example.com",
		"accounts": []map[string]any{
			{"account_id": newID(), "is_default": true, "account_name": "Another account", "base_uri": "https://demo.docusign.net"},
			{"account_id": s.accountID, "is_default": false, "account_name": "Trustdocs test", "base_uri": s.BaseURI()},
		},
	}))
}
