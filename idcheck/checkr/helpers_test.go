package checkr_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/idcheck/checkr"
	"trustdocs/idcheck/checkr/checkrtest"
)

const apiKey = "checkr-test-key-0123456789"

// fixture is a client talking to a fresh stand-in, recording its waits and outcomes.
type fixture struct {
	srv    *checkrtest.Server
	client *checkr.Client

	mu       sync.Mutex
	waits    []time.Duration
	outcomes []string
}

func newFixture(t *testing.T, mods ...func(*checkr.Config)) *fixture {
	t.Helper()
	f := &fixture{srv: checkrtest.New(t, apiKey)}
	cfg := checkr.Config{
		APIKey: apiKey, APIURL: f.srv.URL(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.waits = append(f.waits, d)
			return ctx.Err()
		},
		Observe: func(op, outcome string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.outcomes = append(f.outcomes, op+":"+outcome)
		},
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := checkr.New(cfg)
	require.NoError(t, err)
	f.client = c
	return f
}

func (f *fixture) recordedWaits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

func (f *fixture) recordedOutcomes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.outcomes...)
}
