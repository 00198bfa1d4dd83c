package apierrortest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror/apierrortest"
)

func TestFaultsAreTakenInOrderPerOperation(t *testing.T) {
	t.Parallel()
	var fs apierrortest.Faults[int]
	_, ok := fs.Take("list")
	require.False(t, ok, "the zero value is empty")
	fs.Add("list", 500, 2)
	fs.Add("send", 429, 1)
	fs.Add("list", 503, 1)
	for _, want := range []int{500, 500, 503} {
		got, ok := fs.Take("list")
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	_, ok = fs.Take("list")
	require.False(t, ok)
	got, ok := fs.Take("send")
	require.True(t, ok)
	require.Equal(t, 429, got)
}

func TestFaultsAreSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	var fs apierrortest.Faults[string]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			fs.Add("", "x", 10)
			for range 10 {
				_, ok := fs.Take("")
				require.True(t, ok)
			}
		})
	}
	wg.Wait()
	_, ok := fs.Take("")
	require.False(t, ok)
}

func TestAnswerWrite(t *testing.T) {
	t.Parallel()
	writeError := func(w http.ResponseWriter, status int) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"shape"}`))
	}
	rec := httptest.NewRecorder()
	apierrortest.Answer{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}}}.Write(rec, writeError)
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "3", rec.Header().Get("Retry-After"))
	require.JSONEq(t, `{"error":"shape"}`, rec.Body.String(), "no body: the provider's error shape")

	rec = httptest.NewRecorder()
	apierrortest.Answer{Status: http.StatusBadGateway, Body: []byte{}}.Write(rec, writeError)
	require.Equal(t, http.StatusBadGateway, rec.Code)
	require.Empty(t, rec.Body.String(), "an empty body stays empty")
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	var r apierrortest.Recorder
	require.NoError(t, r.Sleep(context.Background(), time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, r.Sleep(ctx, 2*time.Second), context.Canceled)
	r.Observe("find", "retried")
	r.Observe("find", "ok")
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second}, r.Waits())
	require.Equal(t, []string{"find:retried", "find:ok"}, r.Outcomes())
}
