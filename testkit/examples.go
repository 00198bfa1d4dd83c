package testkit

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"trustdocs/events"
)

// Example reads a contract example event (events/examples/NAME.json), decoded and
// validated like any inbound event, and lets the test change it.
func Example(t testing.TB, name string, mutate func(*events.Envelope)) events.Envelope {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	body, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "events", "examples", name+".json"))
	if err != nil {
		t.Fatalf("example %s: %v", name, err)
	}
	env, err := events.Decode(body)
	if err != nil {
		t.Fatalf("example %s: %v", name, err)
	}
	if mutate != nil {
		mutate(&env)
	}
	return env
}
