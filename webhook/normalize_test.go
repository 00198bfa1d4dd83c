package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/webhook"
)

// dropboxForm is a Dropbox Sign callback as it arrives: multipart/form-data, the event
// in the `json` field.
func dropboxForm(eventType string, eventTime int64, relatedSig string) (string, []byte) {
	js := fmt.Sprintf(`{"event":{"event_time":"%d","event_type":%q,"event_hash":"00","event_metadata":{"related_signature_id":%q,
	  "reported_for_account_id":"acc_1","reported_for_app_id":null,"event_message":null}},
	  "signature_request":{"signature_request_id":"sr_9f2","title":"Booking BKG-7Q2M","is_complete":false,"signatures":[
	    {"signature_id":"sig_talent","signer_email_address":"jordan.lee@example.com","signer_name":"Jordan Lee","signer_role":"talent","status_code":"signed"},
	    {"signature_id":"sig_client","signer_email_address":"ops@acme.example","signer_name":"Acme","signer_role":"client","status_code":"awaiting_signature"}]}}`,
		eventTime, eventType, relatedSig)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("json", js)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestDropboxSignEventsMapToEvidenceAndStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ event, related, evidence, status, role string }{
		{"signature_request_sent", "", "envelope_sent", "sent", ""},
		{"signature_request_viewed", "sig_client", "viewed", "", "client"},
		{"signature_request_signed", "sig_talent", "signed", "", "talent"},
		{"signature_request_signed", "sig_unknown", "signed", "", ""}, // the job attributes it by the ids stored at send, or drops it
		{"signature_request_all_signed", "", "", "completed", ""},
		{"signature_request_declined", "sig_client", "declined", "voided", "client"},
		{"signature_request_canceled", "", "voided", "voided", ""},
		{"signature_request_expired", "", "expired", "expired", ""},
		{"signature_request_reassigned", "", "", "", ""}, // an event we do not use
	} {
		ct, body := dropboxForm(tc.event, 1795514400, tc.related)
		u, err := webhook.NormalizeDropboxSign(ct, body)
		require.NoError(t, err, tc.event)
		require.Equal(t, "sr_9f2", u.EnvelopeID)
		require.Equal(t, tc.evidence, u.Event, tc.event)
		require.Equal(t, tc.status, u.Status, tc.event)
		require.Equal(t, tc.role, u.Role, tc.event)
		require.Equal(t, tc.related, u.RecipientID, tc.event)
		require.Equal(t, time.Unix(1795514400, 0).UTC(), u.At)
		require.Equal(t, "dropboxsign|sr_9f2|"+tc.event+"|1795514400|"+tc.related, u.DedupeKey)
	}
	ct, body := dropboxForm("callback_test", 1795514400, "")
	u, err := webhook.NormalizeDropboxSign(ct, body)
	require.NoError(t, err)
	require.Empty(t, u.Event+u.Status, "the account's test ping changes nothing")

	_, err = webhook.NormalizeDropboxSign("application/json", []byte(`{}`))
	require.ErrorIs(t, err, webhook.ErrMalformed)
	ct, body = dropboxForm("signature_request_sent", 0, "")
	_, err = webhook.NormalizeDropboxSign(ct, bytes.Replace(body, []byte(`"event_time":"0"`), []byte(`"event_time":"soon"`), 1))
	require.ErrorIs(t, err, webhook.ErrMalformed)
}

func checkrEvent(id, typ, createdAt, object string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created_at":%q,"webhook_url":"https://x.example/webhooks/checkr",
	  "data":{"object":%s},"account_id":"acc_3"}`, id, typ, createdAt, object))
}

const (
	checkrInvitation = `{"id":"inv_77aa","object":"invitation","status":"pending","candidate_id":"cand_5f1e","package":"basic_us",
	  "invitation_url":"https://apply.checkr.example/invite/xyz"}`
	checkrReport = `{"id":"rep_77","object":"report","status":"complete","result":"%s","adjudication":null,"package":"basic_us",
	  "candidate_id":"cand_5f1e","ssn_trace_id":"st_1","county_criminal_search_ids":["c1"]}`
)

func TestCheckrEventsMapToBackgroundStatus(t *testing.T) {
	t.Parallel()
	report := func(result string) string { return fmt.Sprintf(checkrReport, result) }
	for _, tc := range []struct{ typ, object, status, adjudication string }{
		{"invitation.created", checkrInvitation, "invited", ""},
		{"invitation.completed", checkrInvitation, "in_progress", ""},
		{"invitation.expired", checkrInvitation, "expired", ""},
		{"invitation.deleted", checkrInvitation, "withdrawn", ""},
		{"report.created", report(""), "in_progress", ""},
		{"report.updated", report(""), "in_progress", ""},
		{"report.resumed", report(""), "in_progress", ""},
		{"report.suspended", report(""), "suspended", ""},
		{"report.disputed", report("consider"), "disputed", ""},
		{"report.canceled", report(""), "withdrawn", ""},
		{"report.completed", report("clear"), "clear", ""},
		{"report.completed", report("consider"), "consider", ""},
		{"report.engaged", report("consider"), "", "engaged"},
		{"report.pre_adverse_action", report("consider"), "", "pre_adverse_action"},
		{"report.post_adverse_action", report("consider"), "", "post_adverse_action"},
		{"candidate.created", `{"id":"cand_5f1e","object":"candidate"}`, "", ""}, // not used: acknowledged
	} {
		u, err := webhook.NormalizeCheckr(checkrEvent("evt_1", tc.typ, "2026-11-24T09:59:59Z", tc.object))
		require.NoError(t, err, tc.typ)
		require.Equal(t, tc.status, u.Status, tc.typ)
		require.Equal(t, tc.adjudication, u.Adjudication, tc.typ)
		require.Equal(t, "checkr|evt_1", u.DedupeKey)
		require.Equal(t, time.Date(2026, 11, 24, 9, 59, 59, 0, time.UTC), u.At)
		if tc.typ != "candidate.created" {
			require.Equal(t, "cand_5f1e", u.CandidateID, tc.typ)
		}
	}
	// A report.completed without its result is read from Checkr's API by the job.
	u, err := webhook.NormalizeCheckr(checkrEvent("evt_6", "report.completed", "2026-11-24T09:59:59Z", `{"id":"rep_1","candidate_id":"c","status":"complete"}`))
	require.NoError(t, err)
	require.True(t, u.ResultPending)
	require.Empty(t, u.Status, "no status until the result is read")
	require.Equal(t, "rep_1", u.ReportID)
	for name, body := range map[string][]byte{
		"not JSON":                []byte(`{"id":`),
		"no id":                   checkrEvent("", "report.completed", "2026-11-24T09:59:59Z", report("clear")),
		"bad time":                checkrEvent("evt_2", "report.completed", "yesterday", report("clear")),
		"completed, odd result":   checkrEvent("evt_3", "report.completed", "2026-11-24T09:59:59Z", `{"id":"rep_1","candidate_id":"c","result":"maybe"}`),
		"completed, no candidate": checkrEvent("evt_5", "report.completed", "2026-11-24T09:59:59Z", `{"id":"rep_1"}`),
		"no candidate":            checkrEvent("evt_4", "report.suspended", "2026-11-24T09:59:59Z", `{"id":"rep_1"}`),
	} {
		_, err := webhook.NormalizeCheckr(body)
		require.ErrorIs(t, err, webhook.ErrMalformed, name)
	}
}

// FuzzNormalize feeds every normalizer arbitrary bodies: none may panic, and what they
// accept always names its dedupe key.
func FuzzNormalize(f *testing.F) {
	ct, dbx := dropboxForm("signature_request_signed", 1795514400, "sig_talent")
	for _, seed := range [][]byte{[]byte(docusignBody), []byte(checkrBody), []byte(stripeBody), []byte(personaBody), dbx,
		checkrEvent("evt_1", "report.engaged", "2026-11-24T09:59:59Z", fmt.Sprintf(checkrReport, "consider")), []byte(`{}`), nil} {
		f.Add(seed, ct)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		if u, err := webhook.NormalizeDocuSign(body); err == nil && u.DedupeKey == "" {
			t.Fatal("docusign: accepted without a dedupe key")
		}
		if u, err := webhook.NormalizeDropboxSign(contentType, body); err == nil && u.DedupeKey == "" {
			t.Fatal("dropboxsign: accepted without a dedupe key")
		}
		if u, err := webhook.NormalizePersona(body); err == nil && u.DedupeKey == "" {
			t.Fatal("persona: accepted without a dedupe key")
		}
		if u, err := webhook.NormalizeStripe(body); err == nil && u.DedupeKey == "" {
			t.Fatal("stripe: accepted without a dedupe key")
		}
		if u, err := webhook.NormalizeCheckr(body); err == nil && u.DedupeKey == "" {
			t.Fatal("checkr: accepted without a dedupe key")
		}
	})
}

// What Sign produces (the sandbox providers use it) verifies, for every header scheme.
func TestSignedHeadersVerify(t *testing.T) {
	t.Parallel()
	body := []byte(checkrBody)
	for _, p := range []string{"docusign", "persona", "stripe", "checkr"} {
		h, err := webhook.Sign(p, "k", body, now)
		require.NoError(t, err, p)
		_, err = webhook.Verifiers[p](h, body, []string{"other", "k"}, now)
		require.NoError(t, err, p)
		_, err = webhook.Verifiers[p](h, body, []string{"other"}, now)
		require.ErrorIs(t, err, webhook.ErrSignature, p)
	}
	_, err := webhook.Sign("dropboxsign", "k", body, now)
	require.Error(t, err, "Dropbox Sign signs inside its body")
	ct, form := esign.DropboxCallback("k", "signature_request_sent", "sr_1", "", "", "", now)
	_, err = webhook.Verifiers["dropboxsign"](http.Header{"Content-Type": {ct}}, form, []string{"k"}, now)
	require.NoError(t, err)
}

// An apply_identity job queued by a build before IdentityUpdate had JSON tags carries
// Go field names; it still decodes (or the update would be lost across an upgrade).
func TestIdentityUpdateReadsTheFormOfOlderJobs(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	want := webhook.IdentityUpdate{Provider: "persona", ProviderEvt: "inquiry.approved", DedupeKey: "persona:evt_1", ProviderRef: "inq_1",
		UserID: "usr_1", Status: "passed", Checks: []webhook.Check{{Name: "selfie", Status: "passed"}}, AgeVerified: true, At: at}
	legacy := `{"Provider":"persona","ProviderEvt":"inquiry.approved","DedupeKey":"persona:evt_1","ProviderRef":"inq_1","UserID":"usr_1",
		"Status":"passed","Checks":[{"name":"selfie","status":"passed"}],"AgeVerified":true,"At":"2026-11-30T12:00:00Z"}`
	var got webhook.IdentityUpdate
	require.NoError(t, json.Unmarshal([]byte(legacy), &got))
	require.Equal(t, want, got)

	current, err := json.Marshal(want)
	require.NoError(t, err)
	require.Contains(t, string(current), `"user_id":"usr_1"`)
	got = webhook.IdentityUpdate{}
	require.NoError(t, json.Unmarshal(current, &got))
	require.Equal(t, want, got)
}

// Where the providers put the date of birth today: Persona's typed inquiry fields
// (fields.birthdate.value), or nowhere in the event (Stripe's verified_outputs only come
// with an API retrieve): a passed session without a date asks the job to check the age.
func TestIdentityAgeFromWhereTheProvidersPutIt(t *testing.T) {
	t.Parallel()
	persona := func(attributes string) []byte {
		return []byte(`{"data":{"type":"event","id":"evt_p","attributes":{"name":"inquiry.approved","created-at":"2026-11-24T10:00:00.000Z",
		  "payload":{"data":{"type":"inquiry","id":"inq_1","attributes":{"status":"approved","reference-id":"usr_1"` + attributes + `}}}}}}`)
	}
	for _, tc := range []struct {
		name, attributes string
		adult, check     bool
	}{
		{"fields", `,"fields":{"birthdate":{"type":"date","value":"1995-09-08"},"name-first":{"type":"string","value":"Jo"}}`, true, false},
		{"fields, a minor", `,"fields":{"birthdate":{"type":"date","value":"2012-09-08"}}`, false, false},
		{"older attributes", `,"birthdate":"1995-09-08"`, true, false},
		{"no date anywhere", `,"fields":{"name-first":{"type":"string","value":"Jo"}}`, false, true},
	} {
		u, err := webhook.NormalizePersona(persona(tc.attributes))
		require.NoError(t, err, tc.name)
		require.Equal(t, "passed", u.Status, tc.name)
		require.Equal(t, tc.adult, u.AgeVerified, tc.name)
		require.Equal(t, tc.check, u.AgeCheck, tc.name)
		raw, err := json.Marshal(u)
		require.NoError(t, err)
		require.NotContains(t, string(raw), "09-08", "%s: the date is dropped", tc.name)
	}

	u, err := webhook.NormalizeStripe([]byte(`{"id":"evt_1","object":"event","type":"identity.verification_session.verified","created":1795514400,
	  "data":{"object":{"id":"vs_1","object":"identity.verification_session","status":"verified","client_reference_id":"usr_2"}}}`))
	require.NoError(t, err)
	require.Equal(t, "passed", u.Status)
	require.False(t, u.AgeVerified)
	require.True(t, u.AgeCheck, "Stripe events never carry verified_outputs: the job retrieves the session")
}
