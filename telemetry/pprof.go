package telemetry

import (
	"net"
	"net/http"
	"net/http/pprof"
)

// ServePprof mounts Go's profiler at /debug/pprof/ (PPROF=1). A profile shows stacks,
// and a CPU profile costs the process while it runs, so by default only loopback
// clients are answered (on-call runs `go tool pprof` on the host, or through a port
// forward); remote also answers other hosts (PPROF_REMOTE=1).
func (s *Server) ServePprof(remote bool) {
	guard := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !remote && !loopback(r.RemoteAddr) {
				http.Error(w, "profiler answers loopback clients only (PPROF_REMOTE=1 to allow others)", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	s.Mux.Handle("GET /debug/pprof/", guard(http.HandlerFunc(pprof.Index)))
	s.Mux.Handle("GET /debug/pprof/cmdline", guard(http.HandlerFunc(pprof.Cmdline)))
	s.Mux.Handle("GET /debug/pprof/profile", guard(http.HandlerFunc(pprof.Profile)))
	s.Mux.Handle("GET /debug/pprof/symbol", guard(http.HandlerFunc(pprof.Symbol)))
	s.Mux.Handle("GET /debug/pprof/trace", guard(http.HandlerFunc(pprof.Trace)))
	s.log.Warn().Bool("remote", remote).Msg("profiler served at /debug/pprof/ (PPROF=1)")
}

func loopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
