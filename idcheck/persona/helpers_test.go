package persona_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/idcheck/persona"
	"trustdocs/idcheck/persona/personatest"
)

const apiKey = "persona_sandbox_0123456789abcdef"

// at is the moment every age is judged at.
var at = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

// fixture is a client talking to a fresh stand-in, recording its waits and outcomes.
type fixture struct {
	srv    *personatest.Server
	client *persona.Client

	mu       sync.Mutex
	waits    []time.Duration
	outcomes []string
}

func newFixture(t *testing.T, mods ...func(*persona.Config)) *fixture {
	t.Helper()
	f := &fixture{srv: personatest.New(t, apiKey)}
	cfg := persona.Config{
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
	c, err := persona.New(cfg)
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
