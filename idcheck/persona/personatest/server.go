package personatest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"trustdocs/apierror/apierrortest"
)

// InquiryPath is where Retrieve an Inquiry is served, below URL(): /api/v1/inquiries/{id}.
const InquiryPath = "/api/v1/inquiries/"

// versions are the Persona-Version values Persona's API document lists (api-version.yaml).
var versions = []string{
	"2025-12-08", "2025-10-27", "2023-01-05", "2022-09-01", "2021-08-18", "2021-07-05", "2021-02-21", "2020-05-18",
}

// Server is the stand-in: an httptest server answering Persona's API at URL().
type Server struct {
	t               testing.TB
	apiKey          string
	srv             *httptest.Server
	errors          map[int]map[string]any // Persona's example error bodies by status
	versionOptional bool

	faults apierrortest.Faults[apierrortest.Answer] // FailNext, RateLimitNext, RespondNext

	mu        sync.Mutex
	inquiries map[string]*inquiry
	requests  []Request
}

// Request is a request the stand-in received, for assertions.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
}

// Option configures a Server.
type Option func(*Server)

// AcceptMissingVersion makes the stand-in answer a request without Persona-Version, as
// Persona does (in the API key's version), instead of refusing it with 400.
func AcceptMissingVersion() Option { return func(s *Server) { s.versionOptional = true } }

// New starts a stand-in that accepts apiKey (Authorization: Bearer) and stops it when
// the test ends.
func New(t testing.TB, apiKey string, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, apiKey: apiKey, errors: map[int]map[string]any{}, inquiries: map[string]*inquiry{}}
	for status, file := range map[int]string{
		http.StatusBadRequest: "response-bad-request.yaml", http.StatusUnauthorized: "response-unauthorized.yaml",
		http.StatusNotFound: "response-not-found.yaml", http.StatusTooManyRequests: "response-too-many-requests.yaml",
	} {
		body, err := responseExample(file)
		if err != nil {
			t.Fatalf("personatest: %v", err)
		}
		s.errors[status] = body
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base URL, like https://api.withpersona.com.
func (s *Server) URL() string { return s.srv.URL }

// Calls is how many requests the stand-in has received, faults and refusals included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Requests returns the requests received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone()})
	s.mu.Unlock()
	id, ok := strings.CutPrefix(r.URL.Path, InquiryPath)
	if r.Method != http.MethodGet || !ok || id == "" || strings.Contains(id, "/") {
		s.t.Errorf("personatest: %s %s is not Retrieve an Inquiry, the one operation played", r.Method, r.URL.Path)
		s.writeError(w, http.StatusNotFound, "")
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		s.writeError(w, http.StatusUnauthorized, "")
		return
	}
	if msg := s.checkHeaders(r.Header); msg != "" {
		s.writeError(w, http.StatusBadRequest, msg)
		return
	}
	if f, ok := s.faults.Take(""); ok {
		f.Write(w, func(w http.ResponseWriter, status int) { s.writeError(w, status, "") })
		return
	}
	s.mu.Lock()
	inq := s.inquiries[id]
	var body map[string]any
	if inq != nil {
		body = inq.body(r.URL.Query().Get("include"))
	}
	s.mu.Unlock()
	if inq == nil {
		s.writeError(w, http.StatusNotFound, "")
		return
	}
	s.writeJSON(w, http.StatusOK, body)
}

func (s *Server) authorized(h string) bool {
	token, ok := strings.CutPrefix(h, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.apiKey)) == 1
}

// checkHeaders is the reason to refuse the request's Persona-Version or Key-Inflection,
// or "".
func (s *Server) checkHeaders(h http.Header) string {
	v := h.Get("Persona-Version")
	switch {
	case v == "" && !s.versionOptional:
		return "Persona-Version is required by personatest (Persona would use the API key's version)"
	case v != "" && !slices.Contains(versions, v):
		return "Persona-Version must be one of " + strings.Join(versions, ", ")
	}
	if k := h.Get("Key-Inflection"); k != "" && k != "kebab" {
		s.t.Errorf("personatest: Key-Inflection %q: the stand-in plays kebab only", k)
		return "Key-Inflection " + k + " is not played by personatest"
	}
	return ""
}

// writeError answers status in Persona's error shape: the API document's example body
// for the status (with details replaced when given), else the status text as title.
func (s *Server) writeError(w http.ResponseWriter, status int, details string) {
	body, ok := s.errors[status]
	if !ok || details != "" {
		title := http.StatusText(status)
		if ok {
			title, _ = dig(firstError(body), "title").(string)
		}
		e := map[string]any{"title": title}
		if details != "" {
			e["details"] = details
		}
		body = map[string]any{"errors": []any{e}}
	}
	s.writeJSON(w, status, body)
}

func firstError(body map[string]any) any {
	list, _ := body["errors"].([]any)
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.t.Errorf("personatest: encode answer: %v", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range map[string]string{"RateLimit-Limit": "300", "RateLimit-Remaining": "299", "RateLimit-Reset": "60"} {
		if h.Get(k) == "" { // Persona sends these on every authenticated answer
			h.Set(k, v)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
