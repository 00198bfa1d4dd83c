package stripeid_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/idcheck/stripeid"
	"trustdocs/idcheck/stripeid/stripeidtest"
)

// at is when the sessions are decided: someone born 2008-11-24 is 18 that day.
var at = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// observed records Observe's calls.
type observed struct {
	mu  sync.Mutex
	got []string
}

func (o *observed) observe(op, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, op+" "+outcome)
}

func (o *observed) outcomes() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

func newClient(t *testing.T, apiURL string, cfg stripeid.Config) (*stripeid.Client, *observed) {
	t.Helper()
	o := &observed{}
	if cfg.APIKey == "" {
		cfg.APIKey = stripeidtest.APIKey
	}
	cfg.APIURL, cfg.Observe = apiURL, o.observe
	c, err := stripeid.New(cfg)
	require.NoError(t, err)
	return c, o
}

// apiError returns err as an *apierror.Error, failing the test if it is not one.
func apiError(t *testing.T, err error) *apierror.Error {
	t.Helper()
	var e *apierror.Error
	require.True(t, errors.As(err, &e), "want *apierror.Error, got %T: %v", err, err)
	return e
}

// Every test here runs the client against stripe-mock (Stripe's OpenAPI spec checks each
// request), through the fixture layer for what stripe-mock's fixtures lack. One
// stripe-mock serves all the subtests.
func TestAgainstStripeMock(t *testing.T) {
	mock := stripeidtest.StripeMock(t)

	t.Run("an adult's and a minor's date of birth", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, map[string]*stripeidtest.DOB{
			"vs_adult": {Year: 2008, Month: 11, Day: 24}, // 18 on the day
			"vs_minor": {Year: 2008, Month: 11, Day: 25}, // 18 tomorrow
		})
		c, o := newClient(t, p.URL, stripeid.Config{})
		adult, found, err := c.AgeVerified(context.Background(), "vs_adult", at)
		require.NoError(t, err)
		require.True(t, found)
		require.True(t, adult)
		adult, found, err = c.AgeVerified(context.Background(), "vs_minor", at)
		require.NoError(t, err)
		require.True(t, found)
		require.False(t, adult)
		require.Equal(t, []string{"retrieve ok", "retrieve ok"}, o.outcomes())
	})

	t.Run("no date of birth is not found", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, map[string]*stripeidtest.DOB{
			"vs_no_outputs": nil, // "verified_outputs": null
			"vs_null_dob":   {},  // "verified_outputs": {"dob": null}
		})
		c, _ := newClient(t, p.URL, stripeid.Config{})
		// vs_stub is not in the map: stripe-mock's own answer, "dob": {} (no day, month
		// or year).
		for _, ref := range []string{"vs_no_outputs", "vs_null_dob", "vs_stub"} {
			adult, found, err := c.AgeVerified(context.Background(), ref, at)
			require.NoError(t, err, ref)
			require.False(t, found, ref)
			require.False(t, adult, ref)
		}
	})

	t.Run("the retrieve asks for the date of birth", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		c, _ := newClient(t, p.URL, stripeid.Config{})
		_, _, err := c.AgeVerified(context.Background(), "vs_expand", at)
		require.NoError(t, err)
		reqs := p.Requests()
		require.Len(t, reqs, 1)
		require.Equal(t, http.MethodGet, reqs[0].Method)
		require.Equal(t, "/v1/identity/verification_sessions/vs_expand", reqs[0].Path)
		require.Equal(t, []string{"verified_outputs.dob"}, reqs[0].Expand)
		require.True(t, reqs[0].Forwarded)
		require.Equal(t, http.StatusOK, reqs[0].Status, "stripe-mock accepted the request as Stripe's spec has it")
	})

	t.Run("behind the proxy stripe-mock still refuses what Stripe's spec does not allow", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		req, err := http.NewRequest(http.MethodGet, p.URL+"/v1/identity/verification_sessions/vs_x?not_a_parameter=1", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+stripeidtest.APIKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.True(t, p.Requests()[0].Forwarded)
	})

	t.Run("an unknown session is a permanent 404 with Stripe's words", func(t *testing.T) {
		t.Parallel()
		// stripe-mock answers 200 for any id: the proxy answers this one as Stripe does.
		p := stripeidtest.WithDOB(t, mock, nil)
		p.NotFound("vs_missing")
		c, o := newClient(t, p.URL, stripeid.Config{})
		_, found, err := c.AgeVerified(context.Background(), "vs_missing", at)
		require.False(t, found)
		e := apiError(t, err)
		require.Equal(t, http.StatusNotFound, e.Status)
		require.True(t, e.Permanent())
		require.True(t, apierror.IsPermanent(err))
		require.Equal(t, "stripe", e.Provider)
		require.Equal(t, "retrieve", e.Op)
		require.Equal(t, "No such verification_session: 'vs_missing'", e.Message)
		require.Len(t, p.Requests(), 1, "a 404 is not retried")
		require.Equal(t, []string{"retrieve permanent"}, o.outcomes())
	})

	t.Run("a key stripe-mock refuses is a permanent 401", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		c, _ := newClient(t, p.URL, stripeid.Config{APIKey: "not-a-stripe-key"})
		_, _, err := c.AgeVerified(context.Background(), "vs_key", at)
		e := apiError(t, err)
		require.Equal(t, http.StatusUnauthorized, e.Status)
		require.True(t, e.Permanent())
		require.Contains(t, e.Message, "Authorization", "stripe-mock's own words")
		require.True(t, p.Requests()[0].Forwarded)
	})

	t.Run("a 500 is retried by stripe-go and then succeeds", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, map[string]*stripeidtest.DOB{"vs_flaky": {Year: 1990, Month: 1, Day: 2}})
		// A 500 from in front of Stripe (not Stripe's error JSON): see the next subtest.
		p.FailNextWith(1, http.StatusInternalServerError, "upstream connect error")
		c, o := newClient(t, p.URL, stripeid.Config{})
		adult, found, err := c.AgeVerified(context.Background(), "vs_flaky", at)
		require.NoError(t, err)
		require.True(t, found)
		require.True(t, adult)
		reqs := p.Requests()
		require.Len(t, reqs, 2)
		require.Equal(t, http.StatusInternalServerError, reqs[0].Status)
		require.False(t, reqs[0].Forwarded)
		require.Equal(t, http.StatusOK, reqs[1].Status)
		require.True(t, reqs[1].Forwarded)
		require.Equal(t, reqs[0].Expand, reqs[1].Expand, "the retry is the same request")
		require.Equal(t, []string{"retrieve retried"}, o.outcomes())
	})

	t.Run("Stripe's own 500 is not retried by stripe-go and comes back transient", func(t *testing.T) {
		t.Parallel()
		// stripe-go v82.5.1 decides on a Stripe error answer by *stripe.Error's
		// canRetry, true only for a 429 lock_timeout, before it looks at the status: a
		// 5xx carrying Stripe's api_error JSON is returned at once. It is not permanent,
		// so the verify_age job retries it with its own backoff.
		p := stripeidtest.WithDOB(t, mock, nil)
		p.FailNext(1, http.StatusInternalServerError)
		c, o := newClient(t, p.URL, stripeid.Config{})
		_, _, err := c.AgeVerified(context.Background(), "vs_api_error", at)
		e := apiError(t, err)
		require.Equal(t, http.StatusInternalServerError, e.Status)
		require.False(t, e.Permanent())
		require.Equal(t, "An unknown error occurred", e.Message, "Stripe's words")
		require.Len(t, p.Requests(), 1, "if stripe-go starts retrying these, this test says so")
		require.Equal(t, []string{"retrieve failed"}, o.outcomes())
	})

	t.Run("5xx until out of retries is transient with its status", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		p.FailNextWith(3, http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>")
		c, o := newClient(t, p.URL, stripeid.Config{MaxRetries: 1})
		_, _, err := c.AgeVerified(context.Background(), "vs_down", at)
		e := apiError(t, err)
		require.Equal(t, http.StatusBadGateway, e.Status)
		require.False(t, e.Permanent())
		require.NotContains(t, e.Message, "Bad Gateway", "bodies are not echoed")
		require.Len(t, p.Requests(), 2, "one try and MaxRetries=1 retry")
		require.Equal(t, []string{"retrieve failed"}, o.outcomes())
	})

	t.Run("a 429 lock timeout is retried by stripe-go", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		p.FailNextWith(1, http.StatusTooManyRequests,
			`{"error": {"type": "invalid_request_error", "code": "lock_timeout", "message": "This object cannot be accessed right now because another API request or Stripe process is currently accessing it."}}`)
		c, o := newClient(t, p.URL, stripeid.Config{})
		_, _, err := c.AgeVerified(context.Background(), "vs_locked", at)
		require.NoError(t, err)
		require.Len(t, p.Requests(), 2)
		require.Equal(t, []string{"retrieve retried"}, o.outcomes())
	})

	t.Run("a 429 rate limit is transient and left to the job", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		p.FailNext(1, http.StatusTooManyRequests)
		c, _ := newClient(t, p.URL, stripeid.Config{})
		_, _, err := c.AgeVerified(context.Background(), "vs_busy", at)
		e := apiError(t, err)
		require.Equal(t, http.StatusTooManyRequests, e.Status)
		require.False(t, e.Permanent())
		// stripe-go retries a 429 only for a lock timeout, not a rate limit.
		require.Len(t, p.Requests(), 1)
	})

	t.Run("an unreadable answer keeps its date of birth out of the error", func(t *testing.T) {
		t.Parallel()
		p := stripeidtest.WithDOB(t, mock, nil)
		p.Respond("vs_garbled", http.StatusOK, `{"id": "vs_garbled", "verified_outputs": {"dob": {"day": 17, "month": 3, "year": 1987`)
		c, o := newClient(t, p.URL, stripeid.Config{MaxRetries: -1})
		_, found, err := c.AgeVerified(context.Background(), "vs_garbled", at)
		require.False(t, found)
		e := apiError(t, err)
		require.Zero(t, e.Status)
		require.False(t, e.Permanent())
		for _, part := range []string{"1987", `"month"`, "dob"} {
			require.NotContains(t, err.Error(), part)
		}
		require.Equal(t, []string{"retrieve failed"}, o.outcomes())
	})
}

func TestEmptyRefSendsNothing(t *testing.T) {
	t.Parallel()
	var calls int
	hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		calls++
		return nil, errors.New("unexpected request")
	})}
	c, err := stripeid.New(stripeid.Config{APIKey: stripeidtest.APIKey, APIURL: "http://127.0.0.1:9", HTTPClient: hc})
	require.NoError(t, err)
	_, found, err := c.AgeVerified(context.Background(), " ", at)
	require.Error(t, err)
	require.False(t, found)
	require.Zero(t, calls)
}

func TestNoAnswerIsTransient(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	})}
	c, err := stripeid.New(stripeid.Config{APIKey: stripeidtest.APIKey, APIURL: "http://127.0.0.1:9", HTTPClient: hc, MaxRetries: -1})
	require.NoError(t, err)
	_, _, err = c.AgeVerified(context.Background(), "vs_x", at)
	e := apiError(t, err)
	require.Zero(t, e.Status)
	require.False(t, e.Permanent())
	require.Equal(t, "connection refused", e.Message)
}

func TestEndedContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := stripeid.New(stripeid.Config{APIKey: stripeidtest.APIKey, APIURL: "http://127.0.0.1:9"})
	require.NoError(t, err)
	_, _, err = c.AgeVerified(ctx, "vs_x", at)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, apierror.IsPermanent(err))
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	_, err := stripeid.New(stripeid.Config{})
	require.ErrorContains(t, err, "APIKey")
	_, err = stripeid.New(stripeid.Config{APIKey: "sk_test_x", APIURL: "api.stripe.com"})
	require.ErrorContains(t, err, "APIURL")
	c, err := stripeid.New(stripeid.Config{APIKey: "sk_test_x"})
	require.NoError(t, err)
	require.Equal(t, "stripe", c.Name())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
