package checkrtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/idcheck/checkr/checkrtest"
)

const key = "checkr-standin-key"

func get(t *testing.T, s *checkrtest.Server, id, user, pass string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL()+checkrtest.ReportPath+id, nil)
	require.NoError(t, err)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestReportsHaveEveryMemberOfCheckrsReport(t *testing.T) {
	t.Parallel()
	s := checkrtest.New(t, key)
	s.AddReport("rpt_a", "cand_a", checkrtest.StatusPending, "")
	s.AddReport("rpt_b", "cand_b", checkrtest.StatusComplete, checkrtest.ResultClear)

	status, pending := get(t, s, "rpt_a", key, "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, pending, 50, "all the members of the Report schema")
	require.Equal(t, "report", pending["object"])
	require.Equal(t, "/v1/reports/rpt_a", pending["uri"])
	require.Equal(t, "cand_a", pending["candidate_id"])
	require.Nil(t, pending["result"])
	require.Nil(t, pending["completed_at"])

	_, done := get(t, s, "rpt_b", key, "")
	require.Equal(t, "clear", done["result"])
	require.Equal(t, "driver_pro", done["package"])
	require.Equal(t, "2014-01-18T12:35:30Z", done["completed_at"])
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	s := checkrtest.New(t, key)
	s.AddReport("rpt_r", "cand_r", checkrtest.StatusPending, "")

	for _, cred := range [][2]string{{"other", ""}, {key, "a-password"}} {
		status, body := get(t, s, "rpt_r", cred[0], cred[1])
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, "Bad authentication error", body["error"])
	}
	status, body := get(t, s, "rpt_none", key, "")
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "Resource not found", body["error"])
	require.Equal(t, 3, s.Calls())
}
