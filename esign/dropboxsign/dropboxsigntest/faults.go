package dropboxsigntest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// fault is one answer the stand-in gives instead of playing the operation.
type fault struct {
	status     int
	wait       time.Duration
	retryAfter bool // send Retry-After (FailNext); RateLimitNext sends only X-Ratelimit-Reset
}

// FailNext makes the next n calls of op (OpSend, OpList, ...) answer status in the
// provider's error shape, without doing anything. retryAfter > 0 adds a Retry-After
// header (whole seconds, rounded up); a 429 also gets X-RateLimit-Remaining 0 and
// X-Ratelimit-Reset that far ahead.
func (s *Server) FailNext(op string, status int, retryAfter time.Duration, n int) {
	s.addFaults(op, fault{status: status, wait: retryAfter, retryAfter: retryAfter > 0}, n)
}

// RateLimitNext makes the next n calls of op answer 429 the way Dropbox Sign documents
// its rate limit: X-RateLimit-Remaining 0 and X-Ratelimit-Reset (Unix time) reset
// ahead, no Retry-After.
func (s *Server) RateLimitNext(op string, reset time.Duration, n int) {
	s.addFaults(op, fault{status: http.StatusTooManyRequests, wait: reset}, n)
}

func (s *Server) addFaults(op string, f fault, n int) {
	s.t.Helper()
	if !knownOp(op) {
		s.t.Errorf("dropboxsigntest: no operation %q to fail (want send, list, get, cancel or files)", op)
		return
	}
	if f.status < 400 || f.status > 599 {
		s.t.Errorf("dropboxsigntest: a fault answers 4xx or 5xx, not %d", f.status)
		return
	}
	s.faults.Add(op, f, n)
}

// LoseNextCreate makes the next send create its request, then close the connection
// without answering: the lost response of a create that succeeded.
func (s *Server) LoseNextCreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseCreates++
}

// HoldNextCreate makes the next send create its request and then hold its answer until
// release is called (or the client goes away): a worker can be killed while its create
// is in flight, after the provider made the request.
func (s *Server) HoldNextCreate() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdCreates = append(s.holdCreates, ch)
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// FilesNotReady makes the next n files calls answer 409, as Dropbox Sign does while it
// prepares the files.
func (s *Server) FilesNotReady(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filesNotReady += n
}

// SearchDelay makes every request created from now on stay out of list results for the
// first n list calls after its creation: Dropbox Sign's search index shows new requests
// "after a minor delay". SearchDelay(0) ends it.
func (s *Server) SearchDelay(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.searchDelay = n
}

func knownOp(op string) bool {
	for _, known := range opsByOperationID {
		if op == known {
			return true
		}
	}
	return false
}

func (s *Server) writeFault(w http.ResponseWriter, c call, f fault) {
	h := w.Header()
	if f.retryAfter {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.wait.Seconds()))))
	}
	if f.status == http.StatusTooManyRequests {
		h.Set("X-RateLimit-Limit", "100")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-Ratelimit-Reset", strconv.FormatInt(s.now().Add(f.wait+time.Second-1).Unix(), 10))
	}
	msg := http.StatusText(f.status)
	if f.status == http.StatusTooManyRequests {
		msg = "Rate limit exceeded"
	}
	s.writeError(w, c, f.status, errorName(f.status), msg+" (dropboxsigntest fault)")
}
