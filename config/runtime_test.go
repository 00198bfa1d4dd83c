package config_test

import (
	"runtime/debug"
	"testing"

	"trustdocs/config"
)

// Not parallel: the GC target is the whole process's.
func TestApplyGCSetsTheServiceTargetUnlessGOGCChoseOne(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "")
	if got := config.ApplyGC(); got != config.GCPercent {
		t.Fatalf("ApplyGC() = %d with GOGC unset, want %d", got, config.GCPercent)
	}
	if now := debug.SetGCPercent(config.GCPercent); now != config.GCPercent {
		t.Fatalf("the runtime's target is %d after ApplyGC, want %d", now, config.GCPercent)
	}

	// GOGC set: the runtime took it at start; ApplyGC leaves the target alone.
	debug.SetGCPercent(250)
	t.Setenv("GOGC", "250")
	if got := config.ApplyGC(); got != 250 {
		t.Fatalf("ApplyGC() = %d with GOGC=250, want 250 (left as the runtime has it)", got)
	}
	if now := debug.SetGCPercent(250); now != 250 {
		t.Fatalf("the runtime's target is %d, want 250 untouched", now)
	}
}
