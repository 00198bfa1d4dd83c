package webhook_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"trustdocs/webhook"
)

// metric returns the value of the sample of name whose labels include labels (0 if
// none).
func metric(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := g.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// fakeHandler is a handler whose queue is f, with its metrics on a registry of its own.
func fakeHandler(f *fakeSQS, limits webhook.Limits) (*webhook.Handler, *prometheus.Registry, *http.ServeMux) {
	reg := prometheus.NewRegistry()
	h := webhook.NewHandler(secrets, nil, "", reg, zerolog.Nop())
	h.Queue = webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Millisecond})
	h.Limits = limits
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", h)
	return h, reg, mux
}

func serve(mux http.Handler, provider string, r req) *httptest.ResponseRecorder {
	hr := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, bytes.NewReader(r.body))
	hr.Header = r.header.Clone()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, hr)
	return rec
}

func waitMetric(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string, want float64) {
	t.Helper()
	require.Eventually(t, func() bool { return metric(t, g, name, labels) == want }, 5*time.Second, 2*time.Millisecond,
		"%s%v never reached %v", name, labels, want)
}

// Verified webhooks waiting for SQS fill the provider's queued budget; beyond it the
// answer is 503 with Retry-After. They no longer hold unverified places, so requests
// are still read and verified meanwhile (a forged one gets its 401, not a 503).
func TestProviderOverItsQueuedBudgetGets503WithRetryAfter(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{gate: make(chan struct{})}
	h, reg, mux := fakeHandler(f, webhook.Limits{Unverified: 1, Queued: 2})
	defer h.Close(context.Background())
	held := make(chan int, 2)
	for range 2 {
		go func() { held <- serve(mux, "checkr", checkr(checkrBody, "ck-new")).Code }()
	}
	waitMetric(t, reg, "trustdocs_receiver_inflight", map[string]string{"provider": "checkr", "stage": "queued"}, 2)

	rec := serve(mux, "checkr", checkr(checkrBody, "ck-new"))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "1", rec.Header().Get("Retry-After"))
	rec = serve(mux, "checkr", checkr(checkrBody, "forged"))
	require.Equal(t, http.StatusUnauthorized, rec.Code, "the unverified budget (1) is free while two wait for SQS")
	require.Empty(t, rec.Header().Get("Retry-After"))

	close(f.gate)
	require.Equal(t, http.StatusOK, <-held)
	require.Equal(t, http.StatusOK, <-held)
	require.Equal(t, 1.0, metric(t, reg, "trustdocs_receiver_rejected_total", map[string]string{"provider": "checkr", "reason": "busy_queued"}))
	require.Equal(t, 1.0, metric(t, reg, "trustdocs_receiver_rejected_total", map[string]string{"provider": "checkr", "reason": "signature"}))
	require.Equal(t, 2.0, metric(t, reg, "trustdocs_receiver_requests_total", map[string]string{"provider": "checkr", "code": "200"}))
	require.Equal(t, 0.0, metric(t, reg, "trustdocs_receiver_inflight", map[string]string{"provider": "checkr", "stage": "queued"}), "places are given back")
}

// A request still sending its body holds an unverified place of its provider only:
// the provider's next request gets 503 with Retry-After, another provider's is served.
func TestProviderOverItsUnverifiedBudgetGets503AndOthersAreServed(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{}
	h, reg, mux := fakeHandler(f, webhook.Limits{Unverified: 1, Queued: 10})
	defer h.Close(context.Background())
	signed := checkr(checkrBody, "ck-new")
	pr, pw := io.Pipe()
	slow := make(chan int, 1)
	go func() {
		hr := httptest.NewRequest(http.MethodPost, "/webhooks/checkr", pr)
		hr.Header = signed.header.Clone()
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, hr)
		slow <- rec.Code
	}()
	waitMetric(t, reg, "trustdocs_receiver_inflight", map[string]string{"provider": "checkr", "stage": "unverified"}, 1)

	rec := serve(mux, "checkr", signed)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "1", rec.Header().Get("Retry-After"))
	rec = serve(mux, "stripe", timestamped("Stripe-Signature", stripeBody, "whsec_new", time.Now()))
	require.Equal(t, http.StatusOK, rec.Code, "another provider's budget is its own: %s", rec.Body.String())

	_, err := pw.Write(signed.body)
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.Equal(t, http.StatusOK, <-slow, "the slow request, once complete, is verified and queued")
	require.Equal(t, 1.0, metric(t, reg, "trustdocs_receiver_rejected_total", map[string]string{"provider": "checkr", "reason": "busy_unverified"}))
	require.Equal(t, 0.0, metric(t, reg, "trustdocs_receiver_inflight", map[string]string{"provider": "checkr", "stage": "unverified"}))
}

// One entry refused by SQS fails its own request (503, so the provider retries); the
// requests batched with it are answered 200.
func TestEntryRefusedBySQSAnswers503ToItsRequestOnly(t *testing.T) {
	t.Parallel()
	f := &fakeSQS{answer: func(entries []sqstypes.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) {
		out := &sqs.SendMessageBatchOutput{}
		for _, e := range entries {
			if bytes.Contains([]byte(*e.MessageBody), []byte(`"provider":"stripe"`)) {
				out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ServiceUnavailable")})
				continue
			}
			out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
		}
		return out, nil
	}}
	h, reg, mux := fakeHandler(f, webhook.DefaultLimits)
	h.Queue = webhook.NewBatcher(f, "q", webhook.BatchOptions{Linger: time.Second}) // one batch for all three
	defer h.Close(context.Background())
	codes := make(chan [2]any, 3)
	go func() { codes <- [2]any{"checkr", serve(mux, "checkr", checkr(checkrBody, "ck-new")).Code} }()
	go func() {
		codes <- [2]any{"stripe", serve(mux, "stripe", timestamped("Stripe-Signature", stripeBody, "whsec_new", time.Now())).Code}
	}()
	go func() { codes <- [2]any{"docusign", serve(mux, "docusign", docusign(docusignBody, "ds-new")).Code} }()
	for range 3 {
		c := <-codes
		if c[0] == "stripe" {
			require.Equal(t, http.StatusServiceUnavailable, c[1])
		} else {
			require.Equal(t, http.StatusOK, c[1], c[0])
		}
	}
	require.Len(t, f.sent(), 1, "the three went in one call")
	require.Equal(t, 1.0, metric(t, reg, "trustdocs_receiver_rejected_total", map[string]string{"provider": "stripe", "reason": "queue_error"}))
}
