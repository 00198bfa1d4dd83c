package telemetry

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func TestProfilerIsOptInAndLoopbackOnly(t *testing.T) {
	get := func(s *Server, remoteAddr string) int {
		r := httptest.NewRequest(http.MethodGet, "/debug/pprof/goroutine?debug=1", nil)
		r.RemoteAddr = remoteAddr
		w := httptest.NewRecorder()
		s.Mux.ServeHTTP(w, r)
		return w.Code
	}
	off := NewServer(zerolog.Nop(), prometheus.NewRegistry(), nil)
	require.Equal(t, http.StatusNotFound, get(off, "127.0.0.1:5000"), "off unless PPROF=1")

	local := NewServer(zerolog.Nop(), prometheus.NewRegistry(), nil)
	local.ServePprof(false)
	require.Equal(t, http.StatusOK, get(local, "127.0.0.1:5000"))
	require.Equal(t, http.StatusOK, get(local, "[::1]:5000"))
	require.Equal(t, http.StatusForbidden, get(local, "10.0.0.7:5000"))
	require.Equal(t, http.StatusForbidden, get(local, "garbage"))

	remote := NewServer(zerolog.Nop(), prometheus.NewRegistry(), nil)
	remote.ServePprof(true)
	require.Equal(t, http.StatusOK, get(remote, "10.0.0.7:5000"))
}
