package personatest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/idcheck/persona/personatest"
)

const key = "persona_sandbox_standin"

// get retrieves id from s with the given headers and decodes the answer.
func get(t *testing.T, s *personatest.Server, id, query string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL()+personatest.InquiryPath+id+query, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestAnswersHaveTheShapeOfPersonasExample(t *testing.T) {
	t.Parallel()
	s := personatest.New(t, key)
	s.AddInquiry("inq_shape", "1995-09-08", personatest.InVerification)
	h := map[string]string{"Authorization": "Bearer " + key, "Persona-Version": "2025-12-08"}

	status, body := get(t, s, "inq_shape", "?include=verifications", h)
	require.Equal(t, http.StatusOK, status)
	data := body["data"].(map[string]any)
	require.Equal(t, "inq_shape", data["id"])
	attrs := data["attributes"].(map[string]any)
	require.Equal(t, "abc-123", attrs["reference-id"], "the example's other attributes are served")
	require.Nil(t, attrs["fields"].(map[string]any)["birthdate"].(map[string]any)["value"])
	included := body["included"].([]any)
	require.Len(t, included, 1)
	ver := included[0].(map[string]any)
	require.Equal(t, "verification/government-id", ver["type"])
	require.Equal(t, "1995-09-08", ver["attributes"].(map[string]any)["birthdate"])
	require.Equal(t, "dl", ver["attributes"].(map[string]any)["id-class"])

	// From 2025-10-27 on, related objects come only when asked for.
	_, body = get(t, s, "inq_shape", "", h)
	require.Empty(t, body["included"])
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	s := personatest.New(t, key)
	s.AddInquiry("inq_refused", "1995-09-08", personatest.InFields)

	status, body := get(t, s, "inq_refused", "", map[string]string{"Authorization": "Bearer nope", "Persona-Version": "2025-12-08"})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "Must be authenticated to access this endpoint", body["errors"].([]any)[0].(map[string]any)["title"])

	status, body = get(t, s, "inq_refused", "", map[string]string{"Authorization": "Bearer " + key})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, body["errors"].([]any)[0].(map[string]any)["details"], "Persona-Version")

	status, _ = get(t, s, "inq_refused", "", map[string]string{"Authorization": "Bearer " + key, "Persona-Version": "2024-01-01"})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, 3, s.Calls())

	lax := personatest.New(t, key, personatest.AcceptMissingVersion())
	lax.AddInquiry("inq_lax", "", personatest.InFields)
	status, _ = get(t, lax, "inq_lax", "", map[string]string{"Authorization": "Bearer " + key})
	require.Equal(t, http.StatusOK, status)
}
