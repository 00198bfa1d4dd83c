package apierrortest

import (
	"maps"
	"net/http"
	"sync"
)

// Faults holds a stand-in's faults, the answers it gives instead of playing an
// operation: a queue per operation name ("" for a stand-in that plays one), each fault
// of type F, taken in the order added. Safe for concurrent use; the zero value is ready.
type Faults[F any] struct {
	mu sync.Mutex
	q  map[string][]F
}

// Add queues f for the next n calls of op.
func (fs *Faults[F]) Add(op string, f F, n int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.q == nil {
		fs.q = map[string][]F{}
	}
	for range n {
		fs.q[op] = append(fs.q[op], f)
	}
}

// Take removes and returns op's next fault; ok is false when none is queued.
func (fs *Faults[F]) Take(op string) (f F, ok bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	q := fs.q[op]
	if len(q) == 0 {
		return f, false
	}
	fs.q[op] = q[1:]
	return q[0], true
}

// Answer is a fault given as a whole answer.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte // nil: the provider's error shape for Status, as writeError writes it
}

// Write answers a: its Header, then Body, or writeError's body for Status.
func (a Answer) Write(w http.ResponseWriter, writeError func(w http.ResponseWriter, status int)) {
	maps.Copy(w.Header(), a.Header)
	if a.Body == nil {
		writeError(w, a.Status)
		return
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}
