package checkr_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/idcheck/checkr"
	"trustdocs/idcheck/checkr/checkrtest"
)

func TestRateLimitWaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddReport("rpt_429", "cand_429", checkrtest.StatusComplete, checkrtest.ResultClear)
	f.srv.FailNext(http.StatusTooManyRequests, 2*time.Second, 1)

	got, err := f.client.Report(context.Background(), "rpt_429")
	require.NoError(t, err)
	require.Equal(t, "clear", got.Result)
	require.Equal(t, 2, f.srv.Calls())
	waits := f.recordedWaits()
	require.Len(t, waits, 1)
	require.GreaterOrEqual(t, waits[0], 2*time.Second, "at least what Checkr asked")
	require.Equal(t, []string{"retrieve:retried", "retrieve:ok"}, f.recordedOutcomes())
}

func TestRateLimitResetTimeIsHonouredWithoutRetryAfter(t *testing.T) {
	t.Parallel()
	// Checkr documents X-Ratelimit-Reset (the time the count resets), no Retry-After.
	f := newFixture(t)
	f.srv.AddReport("rpt_reset", "cand_reset", checkrtest.StatusPending, "")
	f.srv.RateLimitNext(5*time.Second, 1)

	_, err := f.client.Report(context.Background(), "rpt_reset")
	require.NoError(t, err)
	waits := f.recordedWaits()
	require.Len(t, waits, 1)
	require.GreaterOrEqual(t, waits[0], 4*time.Second, "the reset time, less the time the exchange took")
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *checkr.Config) { c.MaxWait = 3 * time.Second })
	f.srv.AddReport("rpt_500", "cand_500", checkrtest.StatusComplete, checkrtest.ResultClear)
	f.srv.FailNext(http.StatusInternalServerError, 0, 2)

	_, err := f.client.Report(context.Background(), "rpt_500")
	require.NoError(t, err)
	require.Equal(t, 3, f.srv.Calls())
	waits := f.recordedWaits()
	require.Len(t, waits, 2)
	for i, ceiling := range []time.Duration{time.Second, 2 * time.Second} {
		require.GreaterOrEqual(t, waits[i], ceiling/2)
		require.LessOrEqual(t, waits[i], ceiling)
	}
}

func TestOutOfAttemptsIsNotPermanent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *checkr.Config) { c.MaxAttempts = 3 })
	f.srv.AddReport("rpt_503", "cand_503", checkrtest.StatusComplete, checkrtest.ResultClear)
	f.srv.FailNext(http.StatusServiceUnavailable, 0, 10)

	_, err := f.client.Report(context.Background(), "rpt_503")
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	require.Equal(t, "Service Unavailable", pe.Message)
	require.False(t, apierror.IsPermanent(err))
	require.Equal(t, 3, f.srv.Calls())
	require.Equal(t, []string{"retrieve:retried", "retrieve:retried", "retrieve:failed"}, f.recordedOutcomes())
}

func TestWrongAPIKeyIsPermanentWithCheckrsWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *checkr.Config) { c.APIKey = "revoked-key" })
	f.srv.AddReport("rpt_401", "cand_401", checkrtest.StatusComplete, checkrtest.ResultClear)

	_, err := f.client.Report(context.Background(), "rpt_401")
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, apierror.IsPermanent(err))
	require.Equal(t, "checkr", pe.Provider)
	require.Equal(t, "retrieve", pe.Op)
	require.Equal(t, http.StatusUnauthorized, pe.Status)
	require.Equal(t, "Bad authentication error", pe.Message)
	require.Equal(t, 1, f.srv.Calls(), "not retried")
	require.Equal(t, []string{"retrieve:permanent"}, f.recordedOutcomes())
}

func TestUnknownReportIsPermanentWithCheckrsWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	_, err := f.client.Report(context.Background(), "rpt_missing")
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.True(t, pe.Permanent())
	require.Equal(t, "checkr retrieve: HTTP 404: Resource not found", err.Error())
	require.Equal(t, 1, f.srv.Calls())
	require.Empty(t, f.recordedWaits())
}

func TestAnswersInAnotherShapeAreNotQuoted(t *testing.T) {
	t.Parallel()
	report := `{"id":"rpt_odd","object":"report","status":"complete","result":"consider","package":"driver_pro",` +
		`"candidate_id":"cand_odd","drug_screening":{"mro_notes":"Diluted Sample"}}`
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"a 502 carrying a report":       {http.StatusBadGateway, report},
		"a 200 cut short":               {http.StatusOK, report[:len(report)/2]},
		"a 200 that is another report":  {http.StatusOK, strings.Replace(report, "rpt_odd", "rpt_other", 1)},
		"a 200 without a status":        {http.StatusOK, `{"id":"rpt_odd","package":"driver_pro"}`},
		"a 403 as an HTML page":         {http.StatusForbidden, "<html>driver_pro Diluted Sample</html>"},
		"a 400 in Checkr's error shape": {http.StatusBadRequest, `{"error":"Report driver_pro is too old to upgrade"}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *checkr.Config) { c.MaxAttempts = 1 })
			f.srv.RespondNext(tc.status, http.Header{"Content-Type": {"application/json"}}, []byte(tc.body), 1)

			_, err := f.client.Report(context.Background(), "rpt_odd")
			require.Error(t, err)
			require.NotContains(t, err.Error(), "Diluted Sample")
			if tc.status != http.StatusBadRequest { // Checkr's own words are kept, whatever they say
				require.NotContains(t, err.Error(), "driver_pro")
			}
		})
	}
}

func TestLongerWaitThanMaxWaitIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.FailNext(http.StatusTooManyRequests, 10*time.Minute, 1)

	_, err := f.client.Report(context.Background(), "rpt_hourly")
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.GreaterOrEqual(t, pe.RetryAfter, 10*time.Minute)
	require.Empty(t, f.recordedWaits())
	require.Equal(t, 1, f.srv.Calls())
}

func TestTransportErrorIsRetried(t *testing.T) {
	t.Parallel()
	var outcomes []string
	c, err := checkr.New(checkr.Config{APIKey: apiKey, APIURL: "http://127.0.0.1:1", MaxAttempts: 3,
		Sleep:   func(context.Context, time.Duration) error { return nil },
		Observe: func(op, outcome string) { outcomes = append(outcomes, op+":"+outcome) }})
	require.NoError(t, err)

	_, err = c.Report(context.Background(), "rpt_net")
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.Zero(t, pe.Status, "no answer arrived")
	require.False(t, apierror.IsPermanent(err))
	require.Equal(t, []string{"retrieve:retried", "retrieve:retried", "retrieve:failed"}, outcomes)
}

func TestCancelledContextStopsABackoff(t *testing.T) {
	t.Parallel()
	// The real timer this time: a 20 s Retry-After, a context ending after 100 ms.
	f := newFixture(t, func(c *checkr.Config) { c.Sleep = nil })
	f.srv.FailNext(http.StatusServiceUnavailable, 20*time.Second, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := f.client.Report(ctx, "rpt_ctx")
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe, "the failure being waited out is kept")
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	require.Equal(t, []string{"retrieve:failed"}, f.recordedOutcomes())
}
