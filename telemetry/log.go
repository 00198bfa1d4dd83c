// Package telemetry gives every binary the same JSON log stream (zerolog, with River's
// slog output bridged into it), a Prometheus registry, and the /healthz, /readyz and
// /metrics endpoints.
package telemetry

import (
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"
	slogzerolog "github.com/samber/slog-zerolog/v2"
)

// NewLogger returns a JSON logger to stderr tagged with the service name.
func NewLogger(service, level string) zerolog.Logger {
	return newLogger(os.Stderr, service, level)
}

func newLogger(w io.Writer, service, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", service).Logger()
}

// Slog bridges a zerolog logger to *slog.Logger for libraries that take one (River), so
// their lines land in the same JSON stream with the same fields.
func Slog(zl zerolog.Logger) *slog.Logger {
	lvl := slog.LevelInfo
	switch zl.GetLevel() {
	case zerolog.DebugLevel, zerolog.TraceLevel:
		lvl = slog.LevelDebug
	case zerolog.WarnLevel:
		lvl = slog.LevelWarn
	case zerolog.ErrorLevel, zerolog.FatalLevel, zerolog.PanicLevel:
		lvl = slog.LevelError
	}
	return slog.New(slogzerolog.Option{Level: lvl, Logger: &zl, NoTimestamp: true}.NewZerologHandler())
}

// Version is the VCS revision the binary was built from (with "+dirty" for a modified
// tree), or "dev".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
