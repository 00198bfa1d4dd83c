package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"trustdocs/infra"
)

// NewRegistry returns a Prometheus registry with the Go and process collectors and a
// build-info gauge.
func NewRegistry(service, version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "trustdocs_build_info", Help: "Always 1; labels say which binary and version run.",
	}, []string{"service", "version"})
	info.WithLabelValues(service, version).Set(1)
	reg.MustRegister(info)
	return reg
}

// Server serves /healthz (the process is alive), /readyz (every dependency answers) and
// /metrics on one mux; binaries add their own routes to Mux.
type Server struct {
	Mux *http.ServeMux
	// Timeouts, set before Listen, bound what one client may hold; zero fields leave
	// only the 5 s header timeout (the worker's endpoints, which only scrapers call).
	Timeouts Timeouts
	checks   []infra.Check
	log      zerolog.Logger
	srv      *http.Server
}

// Timeouts are http.Server's: Read covers a request's headers and body (a client
// dripping its body is cut off there), Write runs from the end of the headers to the
// end of the answer, Idle is how long a keep-alive connection waits for its next
// request.
type Timeouts struct {
	Read, Write, Idle time.Duration
}

// NewServer builds the mux with the three operational endpoints.
func NewServer(log zerolog.Logger, reg *prometheus.Registry, checks []infra.Check) *Server {
	s := &Server{Mux: http.NewServeMux(), checks: checks, log: log}
	s.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.Mux.HandleFunc("GET /readyz", s.ready)
	s.Mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return s
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	results := map[string]string{}
	code := http.StatusOK
	for _, c := range s.checks {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		err := c.Run(ctx)
		cancel()
		if err != nil {
			results[c.Name] = err.Error()
			code = http.StatusServiceUnavailable
			continue
		}
		results[c.Name] = "ok"
	}
	status := "ready"
	if code != http.StatusOK {
		status = "not ready"
		s.log.Warn().Interface("checks", results).Msg("readiness check failed")
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": results})
}

// Listen binds addr now, so a taken port is reported at startup, and serves in the
// background until Shutdown.
func (s *Server) Listen(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	header := 5 * time.Second
	if t := s.Timeouts.Read; t > 0 && t < header {
		header = t
	}
	s.srv = &http.Server{Handler: s.Mux, ReadHeaderTimeout: header,
		ReadTimeout: s.Timeouts.Read, WriteTimeout: s.Timeouts.Write, IdleTimeout: s.Timeouts.Idle}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("http server stopped")
		}
	}()
	return ln.Addr(), nil
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
