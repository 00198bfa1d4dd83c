package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"

	"trustdocs/events"
	"trustdocs/infra"
	"trustdocs/testkit"
	"trustdocs/webhook"
)

var (
	benchRates       = flag.String("bench.rates", "200,500,1000,2000,3000", "BenchmarkReceiverOpenLoop: offered rates per second, comma-separated")
	benchSeconds     = flag.Int("bench.seconds", 3, "BenchmarkReceiverOpenLoop: seconds of load per rate")
	benchConcurrency = flag.Int("bench.concurrency", 64, "BenchmarkEnqueueVsBareSendMessage: senders at once, the same on every side")
	benchMessages    = flag.Int("bench.messages", 3000, "BenchmarkEnqueueVsBareSendMessage: messages per round and side")
)

// benchQueue provisions a queue of its own on the local stack, purged when the
// benchmark ends (fauxqs keeps messages in memory).
func benchQueue(b *testing.B) (*sqs.Client, string) {
	cfg := testkit.Config(b)
	clients := testkit.AWS(b, cfg)
	rep := testkit.Bootstrap(b, cfg, clients)
	url := rep.QueueURLs[cfg.WebhookQueue]
	b.Cleanup(func() {
		_, _ = clients.SQS.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	})
	return clients.SQS, url
}

// cpuTime is the CPU this process has used, user and system: the load generator's and
// the receiver's, which share it. Per request it compares versions on a machine whose
// other load moves the latencies.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServer serves h on loopback as the receiver routes it, until the benchmark ends
// (the handler closed first), and returns its URL and a load generator's client that
// keeps up to 1,024 connections.
func benchServer(b *testing.B, h *webhook.Handler) (string, *http.Client) {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", h)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	b.Cleanup(func() { _ = h.Close(context.Background()) })
	return srv.URL, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024}, Timeout: 10 * time.Second}
}

// BenchmarkReceiverOpenLoop sends signed Checkr webhooks to the real handler over HTTP
// on loopback, at a fixed arrival rate (open loop: a slow answer does not slow the
// sender, so queueing delay shows in the latencies), with the SQS queue on loopback
// (fauxqs). It reports, per rate, the answered and the verified (200) rates, the p50
// and p99 latency from when each request was due, and this process's CPU per request.
//
//	go test -run '^$' -bench ReceiverOpenLoop -benchtime 1x ./webhook/
//	go test -run '^$' -bench ReceiverOpenLoop -benchtime 1x ./webhook/ -args -bench.rates=3000 -bench.seconds=5
//
// It also reports the p99 and the longest of the handler's SQS calls (SendMessageBatch),
// timed at its HTTP client: a run whose p99 is high while the calls stayed fast was slow
// in the receiver; one whose calls slowed too was slowed by the queue or the machine.
func BenchmarkReceiverOpenLoop(b *testing.B) {
	client, url := benchQueue(b)
	calls := &callTimer{}
	client = sqs.New(client.Options(), func(o *sqs.Options) { calls.next = o.HTTPClient; o.HTTPClient = calls })
	h := webhook.NewHandler(secrets, client, url, nil, zerolog.Nop())
	base, hc := benchServer(b, h)
	r := checkr(checkrBody, "ck-new")
	// Warm up: connections to the handler and to SQS, and fauxqs, before any rate.
	var warm sync.WaitGroup
	for range 16 {
		warm.Add(1)
		go func() {
			defer warm.Done()
			for range 20 {
				req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/checkr", bytes.NewReader(r.body))
				req.Header = r.header.Clone()
				if resp, err := hc.Do(req); err == nil {
					drain(resp)
				}
			}
		}()
	}
	warm.Wait()

	for _, f := range strings.Split(*benchRates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || rate <= 0 {
			b.Fatalf("-bench.rates=%q: want positive integers", *benchRates)
		}
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			total := rate * *benchSeconds
			cpu0 := cpuTime()
			calls.reset()
			start := time.Now()
			b.ResetTimer()
			out := openLoop(hc, base+"/webhooks/checkr", r, rate, time.Duration(*benchSeconds)*time.Second)
			elapsed := time.Since(start)
			cpu := cpuTime() - cpu0
			b.StopTimer()
			ok, answered := 0, 0
			lat := make([]time.Duration, len(out)) // from when each was due: includes any queueing
			for i, o := range out {
				lat[i] = o.lat
				if o.code != 0 {
					answered++
				}
				if o.code == http.StatusOK {
					ok++
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(answered)/elapsed.Seconds(), "served/s")
			b.ReportMetric(float64(ok)/elapsed.Seconds(), "verified_req/s")
			b.ReportMetric(float64(lat[total/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[total*99/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(float64(total-ok), "not_200")
			b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu_us/req")
			if d := calls.reset(); len(d) > 0 {
				b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "sqs_call_p99_ms")
				b.ReportMetric(float64(d[len(d)-1].Microseconds())/1000, "sqs_call_max_ms")
			}
		})
	}
}

// BenchmarkEnqueueVsBareSendMessage puts the same number of webhook messages on the
// same queue with the same number of senders three ways, in turn each iteration so all
// see the same machine load:
//
//   - bare: each sender calls SendMessage, one message per call (the receiver before
//     batching);
//   - batcher: each sender calls Batcher.Send, which returns once its message is queued;
//   - receiver: each sender posts a signed webhook over HTTP to the real handler, which
//     verifies it and enqueues it through its batcher before answering.
//
// It reports each side's median messages per second over the iterations and the ratios
// to bare.
//
//	go test -run '^$' -bench EnqueueVsBare -benchtime 5x ./webhook/
func BenchmarkEnqueueVsBareSendMessage(b *testing.B) {
	shared, url := benchQueue(b)
	h := webhook.NewHandler(secrets, shared, url, nil, zerolog.Nop())
	// bare and batcher get a client that keeps a connection per sender, as the handler's
	// has one per batch call: neither side pays for dialing.
	client := shared
	if bc, ok := shared.Options().HTTPClient.(infra.SDKHTTPClient); ok {
		client = sqs.New(shared.Options(), func(o *sqs.Options) {
			o.HTTPClient = bc.WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = *benchConcurrency })
		})
	}
	base, hc := benchServer(b, h)
	r := checkr(checkrBody, "ck-new")
	batcher := webhook.NewBatcher(client, url, webhook.BatchOptions{})
	defer batcher.Close(context.Background())
	m := benchMessage(b, r)

	round := func(send func() error) float64 {
		var next, failed atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range *benchConcurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(*benchMessages) {
					if send() != nil {
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		rate := float64(*benchMessages) / time.Since(start).Seconds()
		if failed.Load() > 0 {
			b.Fatalf("%d sends failed", failed.Load())
		}
		_, _ = client.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
		return rate
	}
	sides := []struct {
		name string
		send func() error
	}{
		{"bare", func() error {
			_, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(m.Body), MessageAttributes: m.Attributes})
			return err
		}},
		{"batcher", func() error { return batcher.Send(context.Background(), m) }},
		{"receiver", func() error {
			req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/checkr", bytes.NewReader(r.body))
			req.Header = r.header.Clone()
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			drain(resp)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			return nil
		}},
	}
	rates := make([][]float64, len(sides))
	b.ResetTimer()
	for range b.N {
		for i, s := range sides {
			rates[i] = append(rates[i], round(s.send))
		}
	}
	b.StopTimer()
	med := make([]float64, len(sides))
	for i, s := range sides {
		sort.Float64s(rates[i])
		med[i] = rates[i][len(rates[i])/2]
		b.ReportMetric(med[i], s.name+"_msgs/s")
	}
	b.ReportMetric(med[1]/med[0], "batcher/bare")
	b.ReportMetric(med[2]/med[0], "receiver/bare")
}

// benchMessage is the message the receiver queues for r, built as the handler builds
// it, so the bare side sends the same bytes.
func benchMessage(b *testing.B, r req) webhook.Message {
	now := time.Now().UTC()
	data, err := json.Marshal(events.Webhook{Provider: "checkr", Headers: map[string]string{"X-Checkr-Signature": r.header.Get("X-Checkr-Signature")},
		BodyBase64: r.body, ReceivedAt: now, ReceiptID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	env, err := json.Marshal(events.Envelope{ID: webhook.EventID("bench"), Type: events.WebhookReceived, Source: "receiver", OccurredAt: now, Data: data})
	if err != nil {
		b.Fatal(err)
	}
	return webhook.Message{Body: string(env), Attributes: map[string]sqstypes.MessageAttributeValue{
		events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(events.WebhookReceived)},
		"provider":           {DataType: aws.String("String"), StringValue: aws.String("checkr")},
	}}
}

// callTimer is an SDK HTTP client that records how long each call took.
type callTimer struct {
	next aws.HTTPClient
	mu   sync.Mutex
	took []time.Duration
}

func (c *callTimer) Do(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := c.next.Do(r)
	c.mu.Lock()
	c.took = append(c.took, time.Since(start))
	c.mu.Unlock()
	return resp, err
}

// reset returns the calls recorded since the last reset, sorted, and starts afresh.
func (c *callTimer) reset() []time.Duration {
	c.mu.Lock()
	d := c.took
	c.took = nil
	c.mu.Unlock()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d
}
