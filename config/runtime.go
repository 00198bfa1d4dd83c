package config

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target (GOGC) in the long-running binaries, the
// worker and the receiver, unless GOGC is set. Go's default, 100, collects each time the
// heap doubles; these processes keep a small live heap (tens of MB) and allocate
// quickly (SDK calls, JSON, PDFs), so at 100 the collector ran several times a second
// and took 13% of the worker's CPU per document. At 400 it runs a quarter as often, for
// a peak heap of about five times the live one (BENCHMARKS.md, issue 15). Where memory
// is tight, set GOMEMLIMIT (below the container's limit) rather than lowering this: the
// collector then works harder only when the limit comes near.
const GCPercent = 400

// ApplyGC sets GCPercent unless the GOGC variable chose a target, and returns the
// target in force (-1: collection off, GOGC=off).
func ApplyGC() int {
	if os.Getenv("GOGC") != "" {
		v := debug.SetGCPercent(100) // read the runtime's value...
		debug.SetGCPercent(v)        // ...and put it back
		return v
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
