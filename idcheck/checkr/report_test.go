package checkr_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/idcheck"
	"trustdocs/idcheck/checkr"
	"trustdocs/idcheck/checkr/checkrtest"
)

func TestReportStatusAndResult(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]idcheck.Report{
		"complete and clear":     {ID: "rpt_clear", CandidateID: "cand_1", Status: checkrtest.StatusComplete, Result: checkrtest.ResultClear},
		"complete and consider":  {ID: "rpt_consider", CandidateID: "cand_2", Status: checkrtest.StatusComplete, Result: checkrtest.ResultConsider},
		"pending, result null":   {ID: "rpt_pending", CandidateID: "cand_3", Status: checkrtest.StatusPending},
		"suspended, result null": {ID: "rpt_suspended", CandidateID: "cand_4", Status: checkrtest.StatusSuspended},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.srv.AddReport(want.ID, want.CandidateID, want.Status, want.Result)

			got, err := f.client.Report(context.Background(), want.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.Equal(t, []string{"retrieve:ok"}, f.recordedOutcomes())
		})
	}
}

func TestNothingButIDsStatusAndResultIsReturned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddReport("rpt_full", "cand_full", checkrtest.StatusComplete, checkrtest.ResultConsider)

	got, err := f.client.Report(context.Background(), "rpt_full")
	require.NoError(t, err)
	// The type can hold nothing else: four strings.
	typ := reflect.TypeFor[idcheck.Report]()
	require.Equal(t, 4, typ.NumField())
	for i := range typ.NumField() {
		require.Equal(t, reflect.String, typ.Field(i).Type.Kind(), typ.Field(i).Name)
	}
	// And none of the report's other members (package, adjudication, screening ids,
	// the drug screening's notes) found its way into them.
	require.Equal(t, idcheck.Report{ID: "rpt_full", CandidateID: "cand_full", Status: "complete", Result: "consider"}, got)
	for _, other := range []string{"driver_pro", "engaged", "eligible", "539fd88c101897f7cd000001", "Diluted Sample", "2014-01-18"} {
		require.NotContains(t, fmt.Sprintf("%#v", got), other)
	}
}

func TestRequestIsBasicAuthWithTheKeyAsUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddReport("4722c07dd9a10c3985ae432a", "e44aa283528e6fde7d542194", checkrtest.StatusPending, "")

	_, err := f.client.Report(context.Background(), "4722c07dd9a10c3985ae432a")
	require.NoError(t, err)
	reqs := f.srv.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, http.MethodGet, reqs[0].Method)
	require.Equal(t, "/v1/reports/4722c07dd9a10c3985ae432a", reqs[0].Path)
	r := &http.Request{Header: reqs[0].Header}
	user, pass, ok := r.BasicAuth()
	require.True(t, ok)
	require.Equal(t, apiKey, user)
	require.Empty(t, pass)
}

func TestNameAndConfig(t *testing.T) {
	t.Parallel()
	c, err := checkr.New(checkr.Config{APIKey: "k"})
	require.NoError(t, err)
	require.Equal(t, "checkr", c.Name())

	_, err = checkr.New(checkr.Config{})
	require.ErrorContains(t, err, "APIKey")
	_, err = checkr.New(checkr.Config{APIKey: "k", APIURL: "api.checkr.com"})
	require.ErrorContains(t, err, "APIURL")
}

func TestEmptyReportIDIsRefusedWithoutARequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.client.Report(context.Background(), "")
	require.Error(t, err)
	require.Zero(t, f.srv.Calls())
}
