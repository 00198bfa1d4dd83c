package events_test

import (
	"os"
	"path/filepath"
	"testing"

	"trustdocs/events"
)

// FuzzDecode feeds the envelope parser and schema validator arbitrary bodies: it never
// panics, and whatever it accepts is a known type with an id.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("examples/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"x","type":"risk.dispute.opened","source":"s","occurred_at":"2026-11-24T00:00:00Z","data":{"user_id":1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := events.Decode(body)
		if err != nil {
			if _, ok := events.IsInvalid(err); !ok {
				t.Fatalf("error without a class: %v", err)
			}
			return
		}
		if env.ID == "" || env.Type == "" {
			t.Fatalf("accepted an envelope without id or type: %q", body)
		}
	})
}
