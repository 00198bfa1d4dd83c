package webhook_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"trustdocs/testkit"
	"trustdocs/webhook"
)

// BenchmarkReceiverOpenLoop sends signed Checkr webhooks to the real handler over HTTP
// on loopback, at a fixed arrival rate (open loop: a slow answer does not slow the
// sender, so queueing delay shows in the latencies), with the SQS queue on loopback
// (fauxqs). It reports the achieved rate and the p50 and p99 latency per rate.
//
//	go test -run '^$' -bench ReceiverOpenLoop -benchtime 1x ./webhook/
func BenchmarkReceiverOpenLoop(b *testing.B) {
	t := &testing.T{}
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	if t.Failed() {
		b.Fatal("setup failed: is the local stack up? (make up)")
	}
	h := webhook.NewHandler(secrets, clients.SQS, rep.QueueURLs[cfg.WebhookQueue], nil, zerolog.Nop())
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	r := checkr(checkrBody, "ck-new")

	for _, rate := range []int{200, 500, 1000, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			const seconds = 3
			total := rate * seconds
			lat := make([]time.Duration, total)
			codes := make([]int, total)
			var wg sync.WaitGroup
			start := time.Now()
			b.ResetTimer()
			for i := 0; i < total; i++ {
				due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
				time.Sleep(time.Until(due))
				wg.Add(1)
				go func(i int, due time.Time) {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/checkr", bytes.NewReader(r.body))
					req.Header = r.header.Clone()
					resp, err := client.Do(req)
					if err == nil {
						codes[i] = resp.StatusCode
						resp.Body.Close()
					}
					lat[i] = time.Since(due) // from when it was due: includes any queueing
				}(i, due)
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			ok := 0
			for _, c := range codes {
				if c == http.StatusOK {
					ok++
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(ok)/elapsed.Seconds(), "verified_req/s")
			b.ReportMetric(float64(lat[total/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[total*99/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(float64(total-ok), "not_200")
		})
	}
}
