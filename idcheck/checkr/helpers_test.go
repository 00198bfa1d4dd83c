package checkr_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror/apierrortest"
	"trustdocs/idcheck/checkr"
	"trustdocs/idcheck/checkr/checkrtest"
)

const apiKey = "checkr-test-key-0123456789"

// fixture is a client talking to a fresh stand-in, recording its waits and outcomes.
type fixture struct {
	srv    *checkrtest.Server
	client *checkr.Client
	rec    apierrortest.Recorder
}

func newFixture(t *testing.T, mods ...func(*checkr.Config)) *fixture {
	t.Helper()
	f := &fixture{srv: checkrtest.New(t, apiKey)}
	cfg := checkr.Config{
		APIKey: apiKey, APIURL: f.srv.URL(),
		Sleep: f.rec.Sleep, Observe: f.rec.Observe,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := checkr.New(cfg)
	require.NoError(t, err)
	f.client = c
	return f
}

func (f *fixture) recordedWaits() []time.Duration { return f.rec.Waits() }

func (f *fixture) recordedOutcomes() []string { return f.rec.Outcomes() }
