package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/testkit"
	"trustdocs/webhook"
)

var (
	now     = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	secrets = map[string][]string{ // two per provider: rotation
		"docusign": {"ds-old", "ds-new"}, "dropboxsign": {"dbx-old", "dbx-new"}, "persona": {"wbhsec_old", "wbhsec_new"},
		"stripe": {"whsec_old", "whsec_new"}, "checkr": {"ck-old", "ck-new"},
	}
)

func hmacOf(secret string, parts ...string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// Realistic payloads, signed by each provider's own scheme.
const (
	docusignBody = `{"event":"recipient-completed","apiVersion":"v2.1","uri":"/restapi/v2.1/accounts/1/envelopes/env_sbx_01","retryCount":0,"configurationId":10001,"generatedDateTime":"2026-11-24T09:59:58.123Z","data":{"accountId":"1","userId":"u1","envelopeId":"env_sbx_01","recipientId":"2","envelopeSummary":{"status":"sent","recipients":{"signers":[{"recipientId":"2","email":"jordan.lee@example.com","roleName":"talent","status":"completed","signedDateTime":"2026-11-24T09:59:50Z"}]}}}}`
	personaBody  = `{"data":{"type":"event","id":"evt_3f9a","attributes":{"name":"inquiry.approved","created-at":"2026-11-24T09:59:59.000Z","payload":{"data":{"type":"inquiry","id":"inq_9b1","attributes":{"status":"approved","reference-id":"usr_t_2002"}}}}}}`
	stripeBody   = `{"id":"evt_1QzStripe","object":"event","type":"identity.verification_session.verified","created":1795514399,"data":{"object":{"id":"vs_1Qz","object":"identity.verification_session","status":"verified","client_reference_id":"usr_t_2002"}}}`
	checkrBody   = `{"id":"5f0c1a2b3c","object":"event","type":"report.completed","created_at":"2026-11-24T09:59:59Z","data":{"object":{"id":"rep_77","object":"report","status":"complete","result":"clear","candidate_id":"cand_5f1e","package":"basic_us"}}}`
)

type req struct {
	header http.Header
	body   []byte
}

func docusign(body, secret string) req {
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set("X-DocuSign-Signature-1", base64.StdEncoding.EncodeToString(hmacOf("some-other-key", body)))
	h.Set("X-DocuSign-Signature-2", base64.StdEncoding.EncodeToString(hmacOf(secret, body)))
	return req{h, []byte(body)}
}

func timestamped(header, body, secret string, at time.Time) req {
	t := fmt.Sprint(at.Unix())
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set(header, "t="+t+",v1="+hex.EncodeToString(hmacOf(secret, t, ".", body)))
	return req{h, []byte(body)}
}

func checkr(body, secret string) req {
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set("X-Checkr-Signature", hex.EncodeToString(hmacOf(secret, body)))
	return req{h, []byte(body)}
}

func dropbox(secret string, eventTime time.Time, tamper func(string) string) req {
	et := fmt.Sprint(eventTime.Unix())
	hash := hex.EncodeToString(hmacOf(secret, et, "signature_request_signed"))
	js := `{"event":{"event_time":"` + et + `","event_type":"signature_request_signed","event_hash":"` + hash + `","event_metadata":{"related_signature_id":"sig_1","reported_for_account_id":"acc_1"}},"signature_request":{"signature_request_id":"sr_1","is_complete":false}}`
	if tamper != nil {
		js = tamper(js)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("json", js)
	_ = mw.Close()
	return req{http.Header{"Content-Type": {mw.FormDataContentType()}}, buf.Bytes()}
}

type bundle struct {
	ctx    context.Context
	server *http.ServeMux
	sqs    *sqs.Client
	url    string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	h := webhook.NewHandler(secrets, clients.SQS, rep.QueueURLs[cfg.WebhookQueue], nil, zerolog.Nop())
	h.Now = func() time.Time { return now }
	h.MaxBody = 4096
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", h)
	return &bundle{ctx: context.Background(), server: mux, sqs: clients.SQS, url: rep.QueueURLs[cfg.WebhookQueue]}
}

func (b *bundle) post(provider string, r req) *httptest.ResponseRecorder {
	hr := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, bytes.NewReader(r.body))
	hr.Header = r.header
	rec := httptest.NewRecorder()
	b.server.ServeHTTP(rec, hr)
	return rec
}

func (b *bundle) queued(t *testing.T) []events.Envelope {
	t.Helper()
	return b.queuedAtLeast(t, 0)
}

// queuedAtLeast receives and deletes what the queue holds: two long polls, and while
// fewer than want have come, more until the visibility timeout has passed, since a
// receive response lost on the way (rare since infra.SDKHTTPClient, but a network can
// always lose one) leaves its messages invisible until then.
func (b *bundle) queuedAtLeast(t *testing.T, want int) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	deadline := time.Now().Add(testkit.Config(t).VisibilityTimeout + 5*time.Second)
	for polls := 0; polls < 2 || (len(out) < want && time.Now().Before(deadline)); polls++ {
		res, err := b.sqs.ReceiveMessage(b.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		for _, m := range res.Messages {
			env, err := events.Decode([]byte(aws.ToString(m.Body)))
			require.NoError(t, err, "the receiver enqueues valid provider.webhook.received envelopes")
			out = append(out, env)
			_, err = b.sqs.DeleteMessage(b.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(b.url), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
	return out
}

func TestGenuineWebhooksAreAcceptedWithEitherRotatingSecret(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		provider string
		r        req
	}{
		{"docusign", docusign(docusignBody, "ds-old")},
		{"docusign", docusign(docusignBody, "ds-new")},
		{"persona", timestamped("Persona-Signature", personaBody, "wbhsec_old", now.Add(-time.Minute))},
		{"stripe", timestamped("Stripe-Signature", stripeBody, "whsec_new", now)},
		{"checkr", checkr(checkrBody, "ck-old")},
		{"checkr", checkr(checkrBody, "ck-new")},
		{"dropboxsign", dropbox("dbx-new", now.Add(-20*time.Hour), nil)}, // a retry a day later
	}
	// Persona during rotation: two signature sets, the first made with a retired secret.
	pr := timestamped("Persona-Signature", personaBody, "wbhsec_new", now)
	retired := timestamped("Persona-Signature", personaBody, "wbhsec_retired", now)
	pr.header.Set("Persona-Signature", retired.header.Get("Persona-Signature")+" "+pr.header.Get("Persona-Signature"))
	cases = append(cases, struct {
		provider string
		r        req
	}{"persona", pr})

	for _, c := range cases {
		rec := b.post(c.provider, c.r)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", c.provider, rec.Body.String())
		if c.provider == "dropboxsign" {
			require.Equal(t, "Hello API Event Received", rec.Body.String())
		}
	}
	got := b.queuedAtLeast(t, len(cases))
	require.Len(t, got, len(cases))
	seen := map[string]bool{}
	for _, env := range got {
		w, err := events.DataAs[events.Webhook](env)
		require.NoError(t, err)
		require.Equal(t, now, w.ReceivedAt)
		require.NotEmpty(t, w.ReceiptID)
		require.NotEmpty(t, w.BodyBase64, "the raw body travels as is")
		seen[w.Provider] = true
		if w.Provider == "stripe" {
			require.Equal(t, stripeBody, string(w.BodyBase64))
			require.Contains(t, w.Headers, "Stripe-Signature")
		}
	}
	require.Len(t, seen, 5)
}

func TestForgedStaleOversizedOrMalformedWebhooksAreRefusedAndNothingIsEnqueued(t *testing.T) {
	t.Parallel()
	b := setup(t)
	noHeader := docusign(docusignBody, "ds-new")
	noHeader.header.Del("X-DocuSign-Signature-1")
	noHeader.header.Del("X-DocuSign-Signature-2")
	tampered := checkr(checkrBody, "ck-new")
	tampered.body = bytes.Replace(tampered.body, []byte(`"clear"`), []byte(`"consider"`), 1)
	notJSON := `{"id":"evt_1","type":` // signed, but not JSON
	big := `{"pad":"` + strings.Repeat("x", 5000) + `"}`

	cases := []struct {
		name, provider string
		r              req
		code           int
	}{
		{"docusign wrong secret", "docusign", docusign(docusignBody, "guess"), http.StatusUnauthorized},
		{"docusign missing header", "docusign", noHeader, http.StatusUnauthorized},
		{"checkr tampered body", "checkr", tampered, http.StatusUnauthorized},
		{"checkr wrong secret", "checkr", checkr(checkrBody, "guess"), http.StatusUnauthorized},
		{"persona stale timestamp", "persona", timestamped("Persona-Signature", personaBody, "wbhsec_new", now.Add(-10*time.Minute)), http.StatusUnauthorized},
		{"persona future timestamp", "persona", timestamped("Persona-Signature", personaBody, "wbhsec_new", now.Add(10*time.Minute)), http.StatusUnauthorized},
		{"stripe wrong secret", "stripe", timestamped("Stripe-Signature", stripeBody, "whsec_guess", now), http.StatusUnauthorized},
		{"stripe missing header", "stripe", req{http.Header{}, []byte(stripeBody)}, http.StatusUnauthorized},
		{"dropbox wrong key", "dropboxsign", dropbox("guess", now, nil), http.StatusUnauthorized},
		{"dropbox stale event", "dropboxsign", dropbox("dbx-new", now.Add(-30*time.Hour), nil), http.StatusUnauthorized},
		{"dropbox retyped event", "dropboxsign", dropbox("dbx-new", now, func(s string) string {
			return strings.Replace(s, `"event_type":"signature_request_signed"`, `"event_type":"signature_request_all_signed"`, 1)
		}), http.StatusUnauthorized},
		{"dropbox not multipart", "dropboxsign", req{http.Header{"Content-Type": {"application/json"}}, []byte(`{}`)}, http.StatusBadRequest},
		{"dropbox json field not JSON", "dropboxsign", dropbox("dbx-new", now, func(string) string { return "{not json" }), http.StatusBadRequest},
		{"checkr malformed JSON", "checkr", checkr(notJSON, "ck-new"), http.StatusBadRequest},
		{"stripe malformed JSON", "stripe", timestamped("Stripe-Signature", notJSON, "whsec_new", now), http.StatusBadRequest},
		{"oversized", "checkr", checkr(big, "ck-new"), http.StatusRequestEntityTooLarge},
		{"unknown provider", "acme", checkr(checkrBody, "ck-new"), http.StatusNotFound},
	}
	for _, c := range cases {
		rec := b.post(c.provider, c.r)
		require.Equal(t, c.code, rec.Code, "%s: %s", c.name, rec.Body.String())
	}
	require.Empty(t, b.queued(t), "nothing refused reaches the queue")
}

func TestNoSecretConfiguredIsAServiceProblemNotTheProvidersFault(t *testing.T) {
	t.Parallel()
	h := webhook.NewHandler(map[string][]string{}, nil, "", nil, zerolog.Nop())
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", h)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/checkr", strings.NewReader(checkrBody)))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "the provider retries once we are configured")
}

func TestQueueUnavailableAnswers503(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := webhook.NewHandler(secrets, b.sqs, b.url+"-gone", nil, zerolog.Nop())
	h.Now = func() time.Time { return now }
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", h)
	r := checkr(checkrBody, "ck-new")
	hr := httptest.NewRequest(http.MethodPost, "/webhooks/checkr", bytes.NewReader(r.body))
	hr.Header = r.header
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, hr)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
}
