package persona_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror/apierrortest"
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
	rec    apierrortest.Recorder
}

func newFixture(t *testing.T, mods ...func(*persona.Config)) *fixture {
	t.Helper()
	f := &fixture{srv: personatest.New(t, apiKey)}
	cfg := persona.Config{
		APIKey: apiKey, APIURL: f.srv.URL(),
		Sleep: f.rec.Sleep, Observe: f.rec.Observe,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := persona.New(cfg)
	require.NoError(t, err)
	f.client = c
	return f
}

func (f *fixture) recordedWaits() []time.Duration { return f.rec.Waits() }

func (f *fixture) recordedOutcomes() []string { return f.rec.Outcomes() }
