package persona_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/idcheck/persona"
	"trustdocs/idcheck/persona/personatest"
)

func TestBirthdateFromTheInquiryFields(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		birthdate string
		adult     bool
	}{
		"Persona's example":   {"1995-09-08", true},
		"eighteen today":      {"2008-03-01", true},
		"eighteen tomorrow":   {"2008-03-02", false},
		"a minor":             {"2012-06-15", false},
		"born after the date": {"2027-01-01", false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.srv.AddInquiry("inq_fields", tc.birthdate, personatest.InFields)

			adult, found, err := f.client.AgeVerified(context.Background(), "inq_fields", at)
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, tc.adult, adult)
			require.Equal(t, []string{"retrieve:ok"}, f.recordedOutcomes())
		})
	}
}

func TestBirthdateFromAnIncludedGovernmentIDVerification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddInquiry("inq_adult_id", "1990-01-01", personatest.InVerification)
	f.srv.AddInquiry("inq_minor_id", "2010-01-01", personatest.InVerification)

	adult, found, err := f.client.AgeVerified(context.Background(), "inq_adult_id", at)
	require.NoError(t, err)
	require.True(t, found)
	require.True(t, adult)

	adult, found, err = f.client.AgeVerified(context.Background(), "inq_minor_id", at)
	require.NoError(t, err)
	require.True(t, found)
	require.False(t, adult)
}

func TestBirthdateFromTheFlatAttributeOfOlderVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *persona.Config) { c.Version = "2023-01-05" })
	f.srv.AddInquiry("inq_flat", "1995-09-08", personatest.InAttributes)

	adult, found, err := f.client.AgeVerified(context.Background(), "inq_flat", at)
	require.NoError(t, err)
	require.True(t, found)
	require.True(t, adult)
	require.Equal(t, "2023-01-05", f.srv.Requests()[0].Header.Get("Persona-Version"))
}

func TestNoBirthdateAnywhereIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddInquiry("inq_none", "", personatest.InFields)

	adult, found, err := f.client.AgeVerified(context.Background(), "inq_none", at)
	require.NoError(t, err)
	require.False(t, found)
	require.False(t, adult)
}

func TestRequestCarriesBearerVersionAndInclude(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.AddInquiry("inq_hdr", "1995-09-08", personatest.InFields)

	_, _, err := f.client.AgeVerified(context.Background(), "inq_hdr", at)
	require.NoError(t, err)
	reqs := f.srv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.Equal(t, http.MethodGet, r.Method)
	require.Equal(t, "/api/v1/inquiries/inq_hdr", r.Path)
	require.Equal(t, url.Values{"include": {"verifications"}}, r.Query)
	require.Equal(t, "Bearer "+apiKey, r.Header.Get("Authorization"))
	require.Equal(t, persona.DefaultVersion, r.Header.Get("Persona-Version"))
	require.Equal(t, "2025-12-08", persona.DefaultVersion)
	require.Equal(t, "kebab", r.Header.Get("Key-Inflection"))
}

func TestNameAndConfig(t *testing.T) {
	t.Parallel()
	c, err := persona.New(persona.Config{APIKey: "k"})
	require.NoError(t, err)
	require.Equal(t, "persona", c.Name())

	_, err = persona.New(persona.Config{})
	require.ErrorContains(t, err, "APIKey")
	_, err = persona.New(persona.Config{APIKey: "k", APIURL: "withpersona.com"})
	require.ErrorContains(t, err, "APIURL")
	_, err = persona.New(persona.Config{APIKey: "k", Version: "latest"})
	require.ErrorContains(t, err, "Version")
}

func TestEmptyInquiryIDIsRefusedWithoutARequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, _, err := f.client.AgeVerified(context.Background(), " ", time.Now())
	require.Error(t, err)
	require.Zero(t, f.srv.Calls())
}
