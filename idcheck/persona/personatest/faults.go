package personatest

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"trustdocs/apierror/apierrortest"
)

// FailNext makes the next n retrievals answer status in Persona's error shape (its API
// document's own example words for 400, 401, 404 and 429). retryAfter > 0 adds
// Retry-After (whole seconds, rounded up); a 429 also carries RateLimit-Remaining 0 and
// RateLimit-Reset that far ahead.
func (s *Server) FailNext(status int, retryAfter time.Duration, n int) {
	s.t.Helper()
	if status < 400 || status > 599 {
		s.t.Errorf("personatest: a fault answers 4xx or 5xx, not %d", status)
		return
	}
	h := http.Header{}
	secs := strconv.Itoa(int(math.Ceil(retryAfter.Seconds())))
	if retryAfter > 0 {
		h.Set("Retry-After", secs)
	}
	if status == http.StatusTooManyRequests {
		h.Set("RateLimit-Remaining", "0")
		h.Set("RateLimit-Reset", secs)
	}
	s.faults.Add("", apierrortest.Answer{Status: status, Header: h}, n)
}

// RateLimitNext makes the next n retrievals answer 429 the way Persona documents its
// rate limit: RateLimit-Remaining 0 and RateLimit-Reset (seconds until the window
// resets), no Retry-After.
func (s *Server) RateLimitNext(reset time.Duration, n int) {
	h := http.Header{}
	h.Set("RateLimit-Remaining", "0")
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil(reset.Seconds()))))
	s.faults.Add("", apierrortest.Answer{Status: http.StatusTooManyRequests, Header: h}, n)
}

// RespondNext makes the next n retrievals answer exactly status, header and body: an
// answer Persona's document does not show (a proxy's page, a malformed inquiry).
func (s *Server) RespondNext(status int, header http.Header, body []byte, n int) {
	if body == nil {
		body = []byte{}
	}
	s.faults.Add("", apierrortest.Answer{Status: status, Header: header.Clone(), Body: body}, n)
}
