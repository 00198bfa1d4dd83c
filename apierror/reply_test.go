package apierror_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
)

func TestExchangeReadsAnAnswerWhateverItsStatus(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Kind", r.URL.Path)
		switch r.URL.Path {
		case "/ok":
			_, _ = w.Write([]byte("0123456789"))
		case "/refused":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("refused"))
		default:
			_, _ = w.Write([]byte(strings.Repeat("x", 11)))
		}
	}))
	t.Cleanup(srv.Close)
	get := func(path string) (apierror.Reply, error) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		return apierror.Exchange(srv.Client(), req, 10)
	}

	rep, err := get("/ok")
	require.NoError(t, err)
	require.True(t, rep.OK())
	require.Equal(t, "0123456789", string(rep.Body), "exactly the limit is fine")

	rep, err = get("/refused")
	require.NoError(t, err, "an answer arrived")
	require.False(t, rep.OK())
	require.Equal(t, http.StatusForbidden, rep.Status)
	require.Equal(t, "refused", string(rep.Body))

	rep, err = get("/large")
	require.ErrorIs(t, err, apierror.ErrTooLarge)
	require.Equal(t, http.StatusOK, rep.Status)
	require.Equal(t, "/large", rep.Header.Get("X-Kind"))
	require.Nil(t, rep.Body)

	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	require.NoError(t, err)
	rep, err = apierror.Exchange(http.DefaultClient, req, 10)
	require.Error(t, err)
	require.Zero(t, rep.Status, "no answer")
}

func TestRetryHint(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	reset := func(h http.Header, _ time.Time) time.Duration {
		d, _ := time.ParseDuration(h.Get("X-Reset"))
		return d
	}
	for name, tc := range map[string]struct {
		status int
		header http.Header
		want   time.Duration
	}{
		"a 400 asks nothing":            {http.StatusBadRequest, http.Header{"Retry-After": {"5"}, "X-Reset": {"9s"}}, 0},
		"a 503's Retry-After":           {http.StatusServiceUnavailable, http.Header{"Retry-After": {"5"}}, 5 * time.Second},
		"a 503 ignores the reset":       {http.StatusServiceUnavailable, http.Header{"X-Reset": {"9s"}}, 0},
		"a 429's Retry-After first":     {http.StatusTooManyRequests, http.Header{"Retry-After": {"5"}, "X-Reset": {"9s"}}, 5 * time.Second},
		"a 429's reset without it":      {http.StatusTooManyRequests, http.Header{"X-Reset": {"9s"}}, 9 * time.Second},
		"a 429 that says nothing":       {http.StatusTooManyRequests, http.Header{}, 0},
		"a 408 is retried but not told": {http.StatusRequestTimeout, http.Header{"Retry-After": {"5"}}, 0},
	} {
		require.Equal(t, tc.want, apierror.RetryHint(tc.status, tc.header, now, reset), name)
	}
}
