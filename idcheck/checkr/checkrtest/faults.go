package checkrtest

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"trustdocs/apierror/apierrortest"
)

// FailNext makes the next n retrievals answer status in Checkr's error shape.
// retryAfter > 0 adds Retry-After (whole seconds, rounded up); a 429 also carries
// X-Ratelimit-Remaining 0 and X-Ratelimit-Reset that far ahead.
func (s *Server) FailNext(status int, retryAfter time.Duration, n int) {
	s.t.Helper()
	if status < 400 || status > 599 {
		s.t.Errorf("checkrtest: a fault answers 4xx or 5xx, not %d", status)
		return
	}
	h := http.Header{}
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	}
	if status == http.StatusTooManyRequests {
		s.rateLimited(h, retryAfter)
	}
	s.faults.Add("", apierrortest.Answer{Status: status, Header: h}, n)
}

// RateLimitNext makes the next n retrievals answer 429 the way Checkr documents its rate
// limit: X-Ratelimit-Remaining 0 and X-Ratelimit-Reset, the time the count resets
// (RFC 3339), reset from now; no Retry-After.
func (s *Server) RateLimitNext(reset time.Duration, n int) {
	h := http.Header{}
	s.rateLimited(h, reset)
	s.faults.Add("", apierrortest.Answer{Status: http.StatusTooManyRequests, Header: h}, n)
}

// RespondNext makes the next n retrievals answer exactly status, header and body: an
// answer Checkr's document does not show (a proxy's page, a malformed report).
func (s *Server) RespondNext(status int, header http.Header, body []byte, n int) {
	if body == nil {
		body = []byte{}
	}
	s.faults.Add("", apierrortest.Answer{Status: status, Header: header.Clone(), Body: body}, n)
}

// rateLimited sets the headers of an exhausted rate limit resetting after d, rounded up
// to the second as Checkr's RFC 3339 times are.
func (s *Server) rateLimited(h http.Header, d time.Duration) {
	h.Set("X-Ratelimit-Limit", "1200")
	h.Set("X-Ratelimit-Remaining", "0")
	h.Set("X-Ratelimit-Reset", s.now().Add(d+time.Second-1).UTC().Truncate(time.Second).Format(time.RFC3339))
}
