package dropboxsigntest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"trustdocs/apierror/apierrortest"
)

// The operations the stand-in plays, by the names FailNext and Calls take.
const (
	OpSend   = "send"   // POST /signature_request/send
	OpList   = "list"   // GET /signature_request/list
	OpGet    = "get"    // GET /signature_request/{id}
	OpCancel = "cancel" // POST /signature_request/cancel/{id}
	OpFiles  = "files"  // GET /signature_request/files/{id}
)

var opsByOperationID = map[string]string{
	"signatureRequestSend":   OpSend,
	"signatureRequestList":   OpList,
	"signatureRequestGet":    OpGet,
	"signatureRequestCancel": OpCancel,
	"signatureRequestFiles":  OpFiles,
}

// Server is the stand-in: an httptest server answering Dropbox Sign's API at URL().
type Server struct {
	t      testing.TB
	apiKey string
	spec   *spec
	srv    *httptest.Server
	now    func() time.Time
	hc     *http.Client // posts the callbacks of Sign

	faults apierrortest.Faults[fault] // by operation, FailNext and RateLimitNext

	mu            sync.Mutex
	requests      []*record // in creation order
	calls         map[string]int
	loseCreates   int
	holdCreates   []chan struct{} // HoldNextCreate: answers wait for these to close
	filesNotReady int
	searchDelay   int
}

// New starts a stand-in that accepts apiKey (HTTP Basic, empty password) and stops it
// when the test ends. Every request is validated against the API document; one that
// violates it fails t (t.Errorf, with the validator's words) and is answered 400 (401
// for credentials) in Dropbox Sign's error shape.
func New(t testing.TB, apiKey string) *Server {
	t.Helper()
	sp, err := loadSpec()
	if err != nil {
		t.Fatalf("dropboxsigntest: %v", err)
	}
	s := &Server{
		t: t, apiKey: apiKey, spec: sp, now: time.Now, hc: &http.Client{Timeout: 10 * time.Second},
		calls: map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base URL, like https://api.hellosign.com/v3.
func (s *Server) URL() string { return s.srv.URL + "/v3" }

// Calls is how many requests op has received, valid or not, faults included.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Created is how many signature requests have been created.
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Request returns a copy of signature request id.
func (s *Server) Request(id string) (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.find(id); r != nil {
		return r.clone(), true
	}
	return Request{}, false
}

func (s *Server) find(id string) *record {
	for _, r := range s.requests {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// call is a request that has been routed (and validated, unless err says otherwise).
type call struct {
	op     string
	route  *routers.Route
	params map[string]string
	query  url.Values
	input  *openapi3filter.RequestValidationInput // also checks the answer
	form   form                                   // send only
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// The client went away mid-upload (a worker killed while sending a PDF): Dropbox
		// Sign never sees a request it did not receive whole, and neither does this.
		s.t.Logf("dropboxsigntest: %s %s: the client went away before its body ended", r.Method, r.URL.Path)
		return
	}
	if err != nil {
		s.t.Errorf("dropboxsigntest: read %s %s: %v", r.Method, r.URL.Path, err)
		return
	}
	c, err := s.check(r, body)
	if c.route == nil {
		s.t.Errorf("dropboxsigntest: %v", err)
		s.writeError(w, c, http.StatusNotFound, "not_found", err.Error())
		return
	}
	s.mu.Lock()
	s.calls[c.op]++
	s.mu.Unlock()
	if err != nil {
		s.t.Errorf("dropboxsigntest: %s %s violates the API document: %v", r.Method, r.URL.Path, err)
		if errors.As(err, new(*openapi3filter.SecurityRequirementsError)) {
			s.writeError(w, c, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		s.writeError(w, c, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if f, ok := s.faults.Take(c.op); ok {
		s.writeFault(w, c, f)
		return
	}
	switch c.op {
	case OpSend:
		s.send(w, c)
	case OpList:
		s.list(w, c)
	case OpGet:
		s.get(w, c)
	case OpCancel:
		s.cancel(w, c)
	case OpFiles:
		s.files(w, c)
	default:
		s.t.Errorf("dropboxsigntest: %s %s (%s) is in the API but not played by the stand-in", r.Method, r.URL.Path, c.op)
		s.writeError(w, c, http.StatusBadRequest, "bad_request", "not played by the stand-in")
	}
}

// check routes r as if sent to the document's server and validates it: credentials,
// path and query parameters, and the body. A multipart send is read by readForm and
// validated as the JSON body it stands for (the operation's application/json schema).
func (s *Server) check(r *http.Request, body []byte) (call, error) {
	u, err := url.Parse(specServer + r.URL.RequestURI())
	if err != nil {
		return call{}, err
	}
	sr := r.Clone(r.Context())
	sr.URL, sr.RequestURI = u, ""
	sr.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.spec.router.FindRoute(sr)
	if err != nil {
		return call{}, fmt.Errorf("%s %s is no operation of the API document: %w", r.Method, r.URL.Path, err)
	}
	c := call{route: route, params: params, query: r.URL.Query(), op: route.Operation.OperationID}
	if op, ok := opsByOperationID[c.op]; ok {
		c.op = op
	}
	c.input = &openapi3filter.RequestValidationInput{Request: sr, PathParams: params, Route: route, Options: s.options()}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if c.op == OpSend {
		if mt != "multipart/form-data" {
			return c, fmt.Errorf("the stand-in plays multipart sends only, not %q", mt)
		}
		js := route.Operation.RequestBody.Value.Content.Get("application/json")
		if c.form, err = readForm(r.Header.Get("Content-Type"), body, js.Schema.Value); err != nil {
			return c, err
		}
		jr := sr.Clone(r.Context())
		jr.Header.Set("Content-Type", "application/json")
		jr.Body, jr.ContentLength = io.NopCloser(bytes.NewReader(c.form.json)), int64(len(c.form.json))
		c.input.Request = jr
	}
	return c, openapi3filter.ValidateRequest(r.Context(), c.input)
}

// schemaOptions: short messages (no schema dumps), and email addresses checked, as the
// document's `format: email` asks.
var schemaOptions = []openapi3.SchemaValidationOption{
	openapi3.DisableSchemaErrorDetails(),
	openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
}

func (s *Server) options() *openapi3filter.Options {
	return &openapi3filter.Options{AuthenticationFunc: s.authenticate, SchemaValidationOptions: schemaOptions}
}

// authenticate accepts the api_key scheme (HTTP Basic: the key, empty password) and
// refuses OAuth, which the stand-in does not play.
func (s *Server) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "api_key" {
		return in.NewError(errors.New("the stand-in takes API keys only"))
	}
	user, pass, ok := in.RequestValidationInput.Request.BasicAuth()
	switch {
	case !ok:
		return in.NewError(errors.New("no Basic credentials"))
	case subtle.ConstantTimeCompare([]byte(user), []byte(s.apiKey)) != 1:
		return in.NewError(errors.New("wrong API key"))
	case pass != "":
		return in.NewError(errors.New("the password must be empty"))
	}
	return nil
}

// writeJSON answers v, after checking it against the document's schema for the
// operation and status: the stand-in must not drift from what it stands for.
func (s *Server) writeJSON(w http.ResponseWriter, c call, status int, v any) {
	js, err := json.Marshal(v)
	if err != nil {
		s.t.Errorf("dropboxsigntest: encode answer: %v", err)
	}
	h := w.Header()
	s.rateHeaders(h)
	h.Set("Content-Type", "application/json")
	s.checkAnswer(c, status, h, js)
	w.WriteHeader(status)
	_, _ = w.Write(js)
}

func (s *Server) checkAnswer(c call, status int, h http.Header, body []byte) {
	if c.input == nil {
		return
	}
	err := openapi3filter.ValidateResponse(context.Background(), (&openapi3filter.ResponseValidationInput{
		RequestValidationInput: c.input, Status: status, Header: h,
		Options: &openapi3filter.Options{SchemaValidationOptions: schemaOptions},
	}).SetBodyBytes(body))
	if err != nil {
		s.t.Errorf("dropboxsigntest: the stand-in's own %d answer to %s violates the API document: %v", status, c.op, err)
	}
}

// writeError answers in the document's ErrorResponse shape.
func (s *Server) writeError(w http.ResponseWriter, c call, status int, name, msg string) {
	s.writeJSON(w, c, status, errorResponseJSON{Error: errorJSON{ErrorName: name, ErrorMsg: msg}})
}

// rateHeaders sets the rate-limit headers every answer of the document carries. The
// stand-in never runs out on its own; FailNext and RateLimitNext make it.
func (s *Server) rateHeaders(h http.Header) {
	if h.Get("X-RateLimit-Limit") != "" {
		return
	}
	h.Set("X-RateLimit-Limit", "100")
	h.Set("X-RateLimit-Remaining", "99")
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(s.now().Add(time.Hour).Unix(), 10))
}

// errorName is the document's error_name for a status (its Error*Response examples).
func errorName(status int) string {
	switch status {
	case 400:
		return "bad_request"
	case 401:
		return "unauthorized"
	case 402:
		return "payment_required"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 409:
		return "conflict"
	case 410:
		return "deleted"
	case 422:
		return "unprocessable_entity"
	case 429:
		return "exceeded_rate"
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}
