// Package apierrortest holds what the tests of trustdocs' provider clients and their
// stand-ins share: a Recorder of a client's waits and outcomes, and the queue of faults
// a stand-in answers with.
package apierrortest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Recorder stands in for a client's apierror.Retry Sleep and Observe: it records each
// wait instead of spending it, and each outcome as "op:outcome". Safe for concurrent
// use; the zero value is ready.
type Recorder struct {
	mu       sync.Mutex
	waits    []time.Duration
	outcomes []string
}

// Sleep records d and returns at once: ctx's error, nil while ctx lasts.
func (r *Recorder) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

// Observe records "op:outcome".
func (r *Recorder) Observe(op, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, op+":"+outcome)
}

// Waits are the waits recorded so far, in order.
func (r *Recorder) Waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

// Outcomes are the outcomes recorded so far, in order, as "op:outcome".
func (r *Recorder) Outcomes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.outcomes)
}
