package persona_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/apierror"
	"trustdocs/idcheck/persona"
	"trustdocs/idcheck/persona/personatest"
)

// dob is the date of birth the failing answers below carry.
const dob = "1995-09-08"

// inquiryBody is a real inquiry answer (the stand-in's) carrying dob, captured through a
// plain GET, for replaying where it does not belong.
func inquiryBody(t *testing.T, id string) []byte {
	t.Helper()
	src := personatest.New(t, apiKey)
	src.AddInquiry(id, dob, personatest.InVerification)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet,
		src.URL()+personatest.InquiryPath+id+"?include=verifications", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Persona-Version", persona.DefaultVersion)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.Contains(t, string(b), dob)
	return b
}

func TestBirthdateAppearsInNoError(t *testing.T) {
	t.Parallel()
	inquiry := inquiryBody(t, "inq_leak")
	for name, tc := range map[string]struct {
		status    int
		body      []byte
		permanent bool
	}{
		// A gateway answering 502 with the inquiry it should have passed on.
		"5xx whose body is an inquiry": {http.StatusBadGateway, inquiry, false},
		// Persona's own error shape quoting the value it refused.
		"4xx whose details quote the date": {http.StatusUnprocessableEntity,
			[]byte(`{"errors":[{"title":"Unprocessable Entity","details":"fields.birthdate 1995-09-08 is invalid; also 09/08/1995"}]}`), true},
		// A 200 cut short in the middle of the inquiry.
		"truncated 200": {http.StatusOK, inquiry[:len(inquiry)*2/3], false},
		// A 200 that is another inquiry.
		"200 for another inquiry": {http.StatusOK, []byte(strings.Replace(string(inquiry), `"inq_leak"`, `"inq_other"`, 1)), false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *persona.Config) { c.MaxAttempts = 2 })
			f.srv.AddInquiry("inq_leak", dob, personatest.InVerification)
			f.srv.RespondNext(tc.status, http.Header{"Content-Type": {"application/json"}}, tc.body, 2)

			adult, found, err := f.client.AgeVerified(context.Background(), "inq_leak", at)
			require.Error(t, err)
			require.False(t, adult)
			require.False(t, found)
			require.Equal(t, tc.permanent, apierror.IsPermanent(err))
			require.NotContains(t, err.Error(), dob)
			require.NotContains(t, err.Error(), "1995")
			var pe *apierror.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.status, pe.Status)
		})
	}
}

func TestPersonasMessageIsKeptWithTheDateMasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.RespondNext(http.StatusUnprocessableEntity, nil,
		[]byte(`{"errors":[{"title":"Unprocessable Entity","details":"fields.birthdate 1995-09-08 is invalid"}]}`), 1)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_masked", at)
	var pe *apierror.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Unprocessable Entity: fields.birthdate [date] is invalid", pe.Message)
}
