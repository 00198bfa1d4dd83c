package stripeidtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// DOB is a date of birth as Stripe returns it in verified_outputs.dob.
type DOB struct {
	Year  int `json:"year"`
	Month int `json:"month"`
	Day   int `json:"day"`
}

// Request is one request the proxy received, as the client sent it.
type Request struct {
	Method    string
	Path      string
	Query     url.Values
	Expand    []string // the expand[] values, whichever way they were encoded
	Status    int      // the status answered
	Forwarded bool     // false when the proxy answered itself (FailNext, Respond)
}

// Proxy is the fixture layer in front of stripe-mock.
//
// stripe-mock answers every verification-session retrieve with the one session in its
// fixtures, whose verified_outputs has no date of birth: without expand it has no
// verified_outputs at all, and with expand[]=verified_outputs.dob it answers
// "verified_outputs": {"dob": {}}. It also answers 200 for any session id, and never
// fails on its own. So tests could not tell an adult from a minor, nor see a 404 or a
// 5xx. The proxy adds exactly that, and nothing else:
//
//   - every request is forwarded to stripe-mock unchanged (so stripe-mock still checks
//     path, method, parameters and API key against Stripe's OpenAPI spec), except
//     those FailNext or Respond answer;
//   - on stripe-mock's 200 answer to GET /v1/identity/verification_sessions/{id} that
//     asked for expand verified_outputs.dob, and for an id in the dobs map, it sets
//     verified_outputs.dob to that date (a nil *DOB sets verified_outputs to null, a
//     zero DOB sets dob to null); every other field is stripe-mock's;
//   - FailNext answers the next requests with a Stripe-shaped error status, and Respond
//     answers a given session's retrieve with a given status and body, both without
//     forwarding;
//   - it records every request (Requests), so tests see what the client actually sent.
type Proxy struct {
	URL string

	dobs map[string]*DOB

	mu       sync.Mutex
	failNext []canned
	canned   map[string]canned
	requests []Request
}

type canned struct {
	status int
	body   string
}

const sessionsPath = "/v1/identity/verification_sessions/"

// WithDOB starts the fixture layer in front of the stripe-mock at mockURL and returns
// it; its URL is the API base URL for the client under test. It stops when t ends.
func WithDOB(t testing.TB, mockURL string, dobs map[string]*DOB) *Proxy {
	t.Helper()
	target, err := url.Parse(mockURL)
	if err != nil {
		t.Fatalf("stripe-mock URL %q: %v", mockURL, err)
	}
	p := &Proxy{dobs: dobs, canned: map[string]canned{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Del("Accept-Encoding") // a plain body, so it can be rewritten
		},
		ModifyResponse: p.injectDOB,
	}
	srv := httptest.NewServer(p.handler(rp))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// FailNext makes the proxy answer the next n requests itself with status and a body
// shaped like Stripe's error for it (api_error for a 5xx, rate_limit_error for 429).
func (p *Proxy) FailNext(n, status int) { p.FailNextWith(n, status, failureBody(status)) }

// FailNextWith makes the proxy answer the next n requests itself with status and body,
// as something in front of Stripe might (a load balancer's 502 page).
func (p *Proxy) FailNextWith(n, status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.failNext = append(p.failNext, canned{status, body})
	}
}

// Respond makes the proxy answer every retrieve of session id itself, with status and
// body.
func (p *Proxy) Respond(id string, status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.canned[id] = canned{status, body}
}

// NotFound makes the proxy answer a retrieve of session id as Stripe answers one for an
// unknown id: 404 with a resource_missing invalid_request_error. stripe-mock itself
// answers 200 for any id.
func (p *Proxy) NotFound(id string) {
	p.Respond(id, http.StatusNotFound, stripeError("invalid_request_error", "resource_missing", "id",
		fmt.Sprintf("No such verification_session: '%s'", id)))
}

// Requests returns the requests received so far, in order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

func (p *Proxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		rec := Request{Method: r.Method, Path: r.URL.Path, Query: q, Expand: expands(q)}
		p.mu.Lock()
		var answer *canned
		if len(p.failNext) > 0 {
			answer = &p.failNext[0]
			p.failNext = p.failNext[1:]
		} else if id, ok := sessionID(r); ok {
			if c, ok := p.canned[id]; ok {
				answer = &c
			}
		}
		p.mu.Unlock()
		if answer != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if json.Valid([]byte(answer.body)) {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(answer.status)
			_, _ = io.WriteString(w, answer.body)
			rec.Status = answer.status
			p.record(rec)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		rec.Status, rec.Forwarded = sw.status, true
		p.record(rec)
	})
}

func (p *Proxy) record(r Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r)
}

// injectDOB rewrites stripe-mock's answer to a session retrieve that expanded
// verified_outputs.dob, for a session in the dobs map.
func (p *Proxy) injectDOB(resp *http.Response) error {
	id, ok := sessionID(resp.Request)
	if !ok || resp.StatusCode != http.StatusOK || !slices.Contains(expands(resp.Request.URL.Query()), "verified_outputs.dob") {
		return nil
	}
	dob, ok := p.dobs[id]
	if !ok {
		return nil
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var session map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep stripe-mock's numbers as they were
	if err := dec.Decode(&session); err != nil {
		return fmt.Errorf("stripe-mock's session is not JSON: %w", err)
	}
	if dob == nil {
		session["verified_outputs"] = nil
	} else {
		outputs, _ := session["verified_outputs"].(map[string]any)
		if outputs == nil {
			outputs = map[string]any{}
		}
		if *dob == (DOB{}) {
			outputs["dob"] = nil
		} else {
			outputs["dob"] = dob
		}
		session["verified_outputs"] = outputs
	}
	out, err := json.Marshal(session)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

// sessionID is the id of a verification-session retrieve (GET, one path segment after
// the collection); ok is false for any other request.
func sessionID(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet {
		return "", false
	}
	id, ok := strings.CutPrefix(r.URL.Path, sessionsPath)
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

// expands collects expand values however they are encoded: expand[]=, expand[0]=, or
// expand=.
func expands(q url.Values) []string {
	var out []string
	for k, vs := range q {
		if k == "expand" || strings.HasPrefix(k, "expand[") {
			out = append(out, vs...)
		}
	}
	slices.Sort(out)
	return out
}

func failureBody(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return stripeError("rate_limit_error", "rate_limit", "", "Too many requests made to the API too quickly")
	case status >= 500:
		return stripeError("api_error", "", "", "An unknown error occurred")
	}
	return stripeError("invalid_request_error", "", "", http.StatusText(status))
}

// stripeError is Stripe's error body: {"error": {"type", "code", "param", "message"}}.
func stripeError(typ, code, param, message string) string {
	e := map[string]string{"type": typ, "message": message}
	if code != "" {
		e["code"] = code
	}
	if param != "" {
		e["param"] = param
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the server's writer (the reverse proxy
// flushes through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
