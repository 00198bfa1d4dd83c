package webhook_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/telemetry"
	"trustdocs/testkit"
	"trustdocs/webhook"
)

// drain reads the answer to its end before closing it: a body closed unread makes the
// client drop the connection, and a load generator dialing a connection per request
// measures its own dialing, not the receiver.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

type outcome struct {
	code int
	lat  time.Duration
	err  error
}

// openLoop sends r to url at rate per second for d, each request when it is due
// whatever the answers to the others, and returns each outcome, latency measured from
// when it was due.
func openLoop(client *http.Client, url string, r req, rate int, d time.Duration) []outcome {
	total := int(d.Seconds() * float64(rate))
	out := make([]outcome, total)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func() {
			defer wg.Done()
			hr, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.body))
			hr.Header = r.header.Clone()
			resp, err := client.Do(hr)
			if err != nil {
				out[i] = outcome{err: err, lat: time.Since(due)}
				return
			}
			drain(resp)
			out[i] = outcome{code: resp.StatusCode, lat: time.Since(due)}
		}()
	}
	wg.Wait()
	return out
}

// A flood of forged Checkr webhooks (1,000/s, bad signatures) does not starve signed
// ones of Checkr itself and of other providers (100/s in all): forged requests are
// refused at verification, before any SQS wait, and only ever hold unverified places.
// Every signed request is queued and answered 200 with p99 ≤ 500 ms: a tenth of
// Persona's 5 s delivery timeout, the shortest of the providers', on a shared 2-core
// machine where the unloaded p99 is a few ms. The flood gets only 401 (or 503 if its
// budget filled), nothing forged is queued, and the rejections are counted by reason.
func TestForgedFloodDoesNotStarveSignedWebhooks(t *testing.T) {
	t.Parallel()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	queueURL := rep.QueueURLs[cfg.WebhookQueue]
	reg := telemetry.NewRegistry("receiver", "test")
	srv := telemetry.NewServer(zerolog.Nop(), reg, nil)
	h := webhook.NewHandler(secrets, clients.SQS, queueURL, reg, zerolog.Nop())
	srv.Mux.Handle("POST /webhooks/{provider}", h)
	srv.Timeouts = telemetry.Timeouts{Read: 2 * time.Second, Write: 10 * time.Second, Idle: 30 * time.Second}
	addr, err := srv.Listen("127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + addr.String() + "/webhooks/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: 10 * time.Second}

	const d = 2 * time.Second
	var flood []outcome
	signed := map[string][]outcome{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		flood = openLoop(client, base+"checkr", checkr(checkrBody, "forged"), 1000, d)
	}()
	for provider, r := range map[string]req{
		"checkr":   checkr(checkrBody, "ck-new"),
		"docusign": docusign(docusignBody, "ds-new"),
		"stripe":   timestamped("Stripe-Signature", stripeBody, "whsec_new", time.Now()),
	} {
		go func() {
			defer wg.Done()
			o := openLoop(client, base+provider, r, 34, d)
			mu.Lock()
			signed[provider] = o
			mu.Unlock()
		}()
	}
	wg.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(sctx))
	require.NoError(t, h.Close(sctx))

	var lats []time.Duration
	for provider, outs := range signed {
		for _, o := range outs {
			require.NoError(t, o.err, provider)
			require.Equal(t, http.StatusOK, o.code, "%s: a signed webhook is accepted during the flood", provider)
			lats = append(lats, o.lat)
		}
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p99 := lats[len(lats)*99/100]
	t.Logf("signed: %d, p50 %v, p99 %v; forged: %d", len(lats), lats[len(lats)/2], p99, len(flood))
	require.LessOrEqual(t, p99, 500*time.Millisecond, "signed p99 during the flood")

	refused := map[int]int{}
	for _, o := range flood {
		require.NoError(t, o.err, "every forged request is answered")
		refused[o.code]++
	}
	require.Equal(t, len(flood), refused[http.StatusUnauthorized]+refused[http.StatusServiceUnavailable], "the flood gets 401 or 503 only: %v", refused)
	require.Positive(t, refused[http.StatusUnauthorized])
	checkrLabels := func(reason string) map[string]string {
		return map[string]string{"provider": "checkr", "reason": reason}
	}
	require.Equal(t, float64(refused[http.StatusUnauthorized]), metric(t, reg, "trustdocs_receiver_rejected_total", checkrLabels("signature")))
	require.Equal(t, float64(refused[http.StatusServiceUnavailable]), metric(t, reg, "trustdocs_receiver_rejected_total", checkrLabels("busy_unverified")))

	got := receiveAll(t, clients.SQS, queueURL, len(lats))
	require.Len(t, got, len(lats), "every signed webhook queued, nothing forged")
	perProvider := map[string]int{}
	for _, m := range got {
		env, err := events.Decode([]byte(*m.Body))
		require.NoError(t, err)
		w, err := events.DataAs[events.Webhook](env)
		require.NoError(t, err)
		perProvider[w.Provider]++
	}
	for provider, outs := range signed {
		require.Equal(t, len(outs), perProvider[provider], provider)
	}
}
