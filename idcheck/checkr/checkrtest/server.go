package checkrtest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"trustdocs/apierror/apierrortest"
)

// ReportPath is where Retrieve an existing Report is served, below URL(): /v1/reports/{id}.
const ReportPath = "/v1/reports/"

// errorText is Checkr's words for the statuses its API document gives examples for
// (schemas UnauthorizedError, ForbiddenError, ResourceNotFoundError). Checkr documents
// no body for a 429: the stand-in's is its own.
var errorText = map[int]string{
	http.StatusUnauthorized:    "Bad authentication error",
	http.StatusForbidden:       "You do not have permission to access the requested resource",
	http.StatusNotFound:        "Resource not found",
	http.StatusTooManyRequests: "Too Many Requests",
}

// Server is the stand-in: an httptest server answering Checkr's API at URL().
type Server struct {
	t      testing.TB
	apiKey string
	srv    *httptest.Server
	now    func() time.Time

	faults apierrortest.Faults[apierrortest.Answer] // FailNext, RateLimitNext, RespondNext

	mu       sync.Mutex
	reports  map[string]map[string]any
	requests []Request
}

// Request is a request the stand-in received, for assertions.
type Request struct {
	Method string
	Path   string
	Header http.Header
}

// New starts a stand-in that accepts apiKey (HTTP Basic user name, empty password) and
// stops it when the test ends.
func New(t testing.TB, apiKey string) *Server {
	t.Helper()
	s := &Server{t: t, apiKey: apiKey, now: time.Now, reports: map[string]map[string]any{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base URL, like https://api.checkr.com.
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
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
	s.mu.Unlock()
	id, ok := strings.CutPrefix(r.URL.Path, ReportPath)
	if r.Method != http.MethodGet || !ok || id == "" || strings.Contains(id, "/") {
		s.t.Errorf("checkrtest: %s %s is not Retrieve an existing Report, the one operation played", r.Method, r.URL.Path)
		s.writeError(w, http.StatusNotFound)
		return
	}
	if !s.authorized(r) {
		s.writeError(w, http.StatusUnauthorized)
		return
	}
	if f, ok := s.faults.Take(""); ok {
		f.Write(w, s.writeError)
		return
	}
	s.mu.Lock()
	rep, found := s.reports[id]
	var body []byte
	if found {
		body, _ = json.Marshal(rep)
	}
	s.mu.Unlock()
	if !found {
		s.writeError(w, http.StatusNotFound)
		return
	}
	s.write(w, http.StatusOK, body)
}

// authorized accepts the API key as Basic user name with an empty password, as Checkr
// documents (curl -u KEY:).
func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && pass == "" && subtle.ConstantTimeCompare([]byte(user), []byte(s.apiKey)) == 1
}

// writeError answers status in Checkr's error shape, {"error": "..."}.
func (s *Server) writeError(w http.ResponseWriter, status int) {
	msg, ok := errorText[status]
	if !ok {
		msg = http.StatusText(status)
	}
	b, _ := json.Marshal(map[string]string{"error": msg})
	s.write(w, status, b)
}

func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if h.Get("X-Ratelimit-Limit") == "" { // Checkr sends these on every answer
		h.Set("X-Ratelimit-Limit", "1200")
		h.Set("X-Ratelimit-Remaining", "1199")
		h.Set("X-Ratelimit-Reset", s.now().Add(time.Minute).UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
