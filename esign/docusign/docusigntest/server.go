package docusigntest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"trustdocs/apierror/apierrortest"
	"trustdocs/esign/docusign"
)

// Operations, as FailNext and Calls name them: the OAuth service's two, and the
// eSignature operations the adapter uses (their operationIds in the document).
const (
	OpToken      = "token"      // POST /oauth/token
	OpUserInfo   = "userinfo"   // GET /oauth/userinfo
	OpCreate     = "create"     // Envelopes_PostEnvelopes
	OpList       = "list"       // Envelopes_GetEnvelopes
	OpGet        = "get"        // Envelopes_GetEnvelope
	OpUpdate     = "update"     // Envelopes_PutEnvelope
	OpRecipients = "recipients" // Recipients_GetRecipients
	OpDocument   = "document"   // Documents_GetDocument
)

var opByOperationID = map[string]string{
	"Envelopes_PostEnvelopes":  OpCreate,
	"Envelopes_GetEnvelopes":   OpList,
	"Envelopes_GetEnvelope":    OpGet,
	"Envelopes_PutEnvelope":    OpUpdate,
	"Recipients_GetRecipients": OpRecipients,
	"Documents_GetDocument":    OpDocument,
}

// Server is a stand-in for DocuSign: the OAuth service and the eSignature API of one
// account, in memory, on an httptest.Server.
type Server struct {
	t              testing.TB
	srv            *httptest.Server
	key            *rsa.PrivateKey
	integrationKey string
	userID         string
	accountID      string
	now            func() time.Time
	tokenLife      time.Duration
	recordInvalid  bool
	webhooks       *http.Client

	faults apierrortest.Faults[fault] // by operation, FailNext

	mu         sync.Mutex
	tokens     map[string]time.Time // access token -> expiry
	envelopes  map[string]*Envelope
	order      []string // envelope ids, oldest first
	loseCreate int
	tokenDelay time.Duration
	calls      map[string]int
	created    int
	tokenReqs  int
	rejected   []string
}

type fault struct {
	status     int
	retryAfter time.Duration
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the stand-in's clock (token expiry, JWT checks, timestamps); give the
// client the same one.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// RecordInvalid makes requests that break the document a 400 without failing the
// test; Rejected lists them. For tests of the validator itself.
func RecordInvalid() Option { return func(s *Server) { s.recordInvalid = true } }

// New starts a stand-in, closed when the test ends. It fails the test on any API
// request the eSignature document does not allow.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	if _, err := spec(); err != nil {
		t.Fatalf("docusigntest: loading the eSignature document: %v", err)
	}
	s := &Server{
		t: t, integrationKey: newID(), userID: newID(), accountID: newID(),
		now: time.Now, tokenLife: time.Hour, webhooks: &http.Client{Timeout: 10 * time.Second},
		tokens: map[string]time.Time{}, envelopes: map[string]*Envelope{}, calls: map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatalf("docusigntest: %v", err)
		}
		s.key = k
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("GET /oauth/userinfo", s.handleUserInfo)
	mux.HandleFunc("/restapi/", s.handleAPI)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// AuthURL is the OAuth service's URL, for docusign.Config.AuthURL.
func (s *Server) AuthURL() string { return s.srv.URL }

// BaseURI is the account's base URI, as userinfo names it.
func (s *Server) BaseURI() string { return s.srv.URL }

// HTTPClient is a client for the stand-in.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

func (s *Server) IntegrationKey() string { return s.integrationKey }
func (s *Server) UserID() string         { return s.userID }
func (s *Server) AccountID() string      { return s.accountID }

// PrivateKeyPEM is the integration key's RSA private key (PKCS#1 PEM, as DocuSign's
// admin page hands it out); the stand-in checks assertions with its public half.
func (s *Server) PrivateKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.key)})
}

// Config is a client configuration for this stand-in's account, sending Connect
// messages to webhookURL.
func (s *Server) Config(webhookURL string) docusign.Config {
	return docusign.Config{
		AuthURL: s.AuthURL(), IntegrationKey: s.integrationKey, UserID: s.userID, AccountID: s.accountID,
		PrivateKeyPEM: s.PrivateKeyPEM(), WebhookURL: webhookURL, HTTPClient: s.HTTPClient(), Now: s.now,
	}
}

// IssueToken issues an access token directly, for tests that make raw API requests.
func (s *Server) IssueToken() string {
	tok := newID()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = s.now().Add(s.tokenLife)
	return tok
}

// RevokeTokens invalidates every token issued so far: the API answers 401 to them.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// FailNext makes the next n calls of op answer status (with Retry-After when
// retryAfter > 0) and DocuSign's error body for it, without doing anything. The
// requests are still validated and counted.
func (s *Server) FailNext(op string, status int, retryAfter time.Duration, n int) {
	s.faults.Add(op, fault{status: status, retryAfter: retryAfter}, n)
}

// LoseNextCreate makes the next envelope creation succeed and its answer get lost: the
// stand-in creates the envelope, then drops the connection without answering.
func (s *Server) LoseNextCreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseCreate++
}

// SlowToken makes every token request take d before it is answered.
func (s *Server) SlowToken(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenDelay = d
}

// Created is the number of envelopes created (lost answers included).
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// TokenRequests is the number of token requests received.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

// Calls is the number of requests received for op (one of the Op constants).
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Rejected lists the validator's messages for the requests it refused (with
// RecordInvalid; without it each one failed the test).
func (s *Server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}

// Envelopes are copies of the envelopes created, oldest first.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Envelope, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.envelopes[id].clone())
	}
	return out
}

// Envelope is a copy of one envelope.
func (s *Server) Envelope(id string) (Envelope, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envelopes[id]
	if !ok {
		return Envelope{}, false
	}
	return e.clone(), true
}

// answer is a response the stand-in has decided on, checked against the document
// before it is written.
type answer struct {
	status int
	header http.Header
	body   []byte
	drop   bool // close the connection instead of answering
}

func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types
	}
	return answer{status: status, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: b}
}

// apiError is DocuSign's errorDetails.
func apiError(status int, code, message string) answer {
	return jsonAnswer(status, ErrorDetails{ErrorCode: code, Message: message})
}

// faultAnswer is what DocuSign answers with the fault's status.
func faultAnswer(f fault) answer {
	var a answer
	switch {
	case f.status == http.StatusUnauthorized:
		a = apiError(f.status, "USER_AUTHENTICATION_FAILED", "One or both of Username and Password are invalid. Invalid access token")
	case f.status == http.StatusTooManyRequests:
		a = apiError(f.status, "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "The maximum number of hourly API invocations has been exceeded.")
	case f.status >= 500:
		a = apiError(f.status, "UNSPECIFIED_ERROR", "An unexpected error occurred (injected).")
	default:
		a = apiError(f.status, "INVALID_REQUEST_PARAMETER", "The request contained at least one invalid parameter (injected).")
	}
	return withRetryAfter(a, f.retryAfter)
}

// withRetryAfter adds a Retry-After header, in whole seconds, when d > 0.
func withRetryAfter(a answer, d time.Duration) answer {
	if d > 0 {
		a.header.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	return a
}

func (s *Server) write(w http.ResponseWriter, a answer) {
	if a.drop {
		hj, ok := w.(http.Hijacker)
		if !ok {
			s.t.Errorf("docusigntest: cannot drop the connection: %T is no Hijacker", w)
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// readBody reads a request body (bounded: an envelope carries its PDFs in base64).
func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, io.LimitReader(r.Body, 64<<20))
	return buf.Bytes(), err
}

// newID is a random GUID, the form DocuSign's ids take.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// bearer is the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

func (s *Server) validToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.now().Before(exp)
}
