package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"trustdocs/events"
	"trustdocs/infra"
)

// DefaultMaxBody bounds a webhook body. Provider payloads are a few KB; base64 in the
// queued envelope grows a body by a third, and this keeps the message under SQS's
// 256 KiB.
const DefaultMaxBody = 128 << 10

// Limits cap a provider's requests in flight, in two budgets so that forged requests
// (which never verify) cannot take the places of verified ones: Unverified counts
// requests reading their body or being verified, Queued counts verified requests
// waiting for SQS. Beyond either, the answer is 503 with Retry-After. Zero means no cap.
type Limits struct {
	Unverified int
	Queued     int
}

// DefaultLimits are RECEIVER_MAX_UNVERIFIED_PER_PROVIDER and
// RECEIVER_MAX_INFLIGHT_PER_PROVIDER's defaults (README "Configuration" says why).
var DefaultLimits = Limits{Unverified: 512, Queued: 1024}

// retryAfter is the Retry-After of a 503 for a full budget: the budgets drain in
// milliseconds when SQS answers, so a second is enough for a slot to be free.
const retryAfter = "1"

// Handler serves POST /webhooks/{provider}: read the raw body under a size limit,
// verify it, enqueue {provider, headers, raw body, received_at, receipt id} and answer
// once the message is on the queue. Codes: 2xx accepted (Dropbox Sign: its exact
// body), 401 bad or missing signature, 400 malformed, 408 body not received within the
// server's read timeout, 413 too large, 404 unknown provider, 503 no secret configured,
// provider over its in-flight limit (with Retry-After) or queue unavailable (the
// provider retries). Bodies and secrets are never logged.
type Handler struct {
	Secrets map[string][]string
	Queue   *Batcher
	MaxBody int64
	Limits  Limits
	// EnqueueTimeout bounds a verified request's wait for SQS.
	EnqueueTimeout time.Duration
	Now            func() time.Time
	Log            zerolog.Logger
	requests       *prometheus.CounterVec
	rejected       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	inflight       map[string]*budgets
}

type budgets struct{ unverified, queued atomic.Int64 }

// NewHandler returns a handler that enqueues on queueURL through a Batcher, with its
// metrics registered on reg (which may be nil). Close drains the batcher.
func NewHandler(secrets map[string][]string, client *sqs.Client, queueURL string, reg prometheus.Registerer, log zerolog.Logger) *Handler {
	var api BatchAPI
	if client != nil {
		api = withIdleConns(client, defaultMaxCalls)
	}
	h := &Handler{Secrets: secrets, Queue: NewBatcher(api, queueURL, BatchOptions{}), MaxBody: DefaultMaxBody,
		Limits: DefaultLimits, EnqueueTimeout: 5 * time.Second, Now: time.Now, Log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_receiver_requests_total", Help: "Webhook requests by provider and response code.",
		}, []string{"provider", "code"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_receiver_rejected_total",
			Help: "Webhook requests not accepted, by provider and reason (signature, malformed, too_large, slow_body, unreadable, busy_unverified, busy_queued, queue_error, not_configured, unknown_provider).",
		}, []string{"provider", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trustdocs_receiver_request_seconds", Help: "Time to verify and enqueue a webhook.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"provider"}),
		inflight: map[string]*budgets{},
	}
	var gauges []prometheus.Collector
	for p := range Verifiers {
		b := &budgets{}
		h.inflight[p] = b
		for stage, n := range map[string]*atomic.Int64{"unverified": &b.unverified, "queued": &b.queued} {
			gauges = append(gauges, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "trustdocs_receiver_inflight", Help: "Webhook requests in flight by provider and stage (unverified: reading or verifying; queued: verified, waiting for SQS).",
				ConstLabels: prometheus.Labels{"provider": p, "stage": stage},
			}, func() float64 { return float64(n.Load()) }))
		}
	}
	if reg != nil {
		reg.MustRegister(h.requests, h.rejected, h.latency)
		reg.MustRegister(gauges...)
	}
	return h
}

// Close sends what the batcher holds and waits for SQS's answers (call it after the
// HTTP server's Shutdown, which waits for the requests that await those answers).
func (h *Handler) Close(ctx context.Context) error { return h.Queue.Close(ctx) }

// answer is what a request gets; reason labels trustdocs_receiver_rejected_total.
type answer struct {
	code   int
	msg    string
	reason string
	retry  bool
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	provider := r.PathValue("provider")
	verify, known := Verifiers[provider]
	if !known {
		provider = "unknown" // bounded label set
	}
	a := h.handle(r, provider, verify, known)
	h.requests.WithLabelValues(provider, strconv.Itoa(a.code)).Inc() // the numeric code, as alerts match it (code=~"5..")
	if a.reason != "" {
		h.rejected.WithLabelValues(provider, a.reason).Inc()
	}
	h.latency.WithLabelValues(provider).Observe(time.Since(start).Seconds())
	if a.code == http.StatusOK && provider == "dropboxsign" {
		a.msg = "Hello API Event Received" // Dropbox Sign requires this exact body
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.retry {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(a.code)
	_, _ = io.WriteString(w, a.msg)
}

// acquire takes a place in a budget of max (0: no cap), or says it is full.
func acquire(n *atomic.Int64, max int) bool {
	if n.Add(1) > int64(max) && max > 0 {
		n.Add(-1)
		return false
	}
	return true
}

func (h *Handler) handle(r *http.Request, provider string, verify Verifier, known bool) answer {
	log := h.Log.With().Str("provider", provider).Logger()
	if !known {
		return answer{http.StatusNotFound, "unknown provider", "unknown_provider", false}
	}
	secrets := h.Secrets[provider]
	if len(secrets) == 0 {
		log.Error().Msg("no webhook secret configured: refusing (the provider will retry)")
		return answer{http.StatusServiceUnavailable, "not configured", "not_configured", false}
	}
	b := h.inflight[provider]
	if !acquire(&b.unverified, h.Limits.Unverified) {
		return answer{http.StatusServiceUnavailable, "busy", "busy_unverified", true}
	}
	// The unverified place is held only while reading and verifying: a forged request
	// leaves as soon as its signature fails, and never enters the queued budget.
	body, v, now, fail := h.readAndVerify(r, verify, secrets, log)
	b.unverified.Add(-1)
	if fail != nil {
		return *fail
	}
	if !acquire(&b.queued, h.Limits.Queued) {
		log.Warn().Int("limit", h.Limits.Queued).Msg("webhook refused: too many waiting for the queue (503, Retry-After)")
		return answer{http.StatusServiceUnavailable, "busy", "busy_queued", true}
	}
	defer b.queued.Add(-1)

	receipt := newReceiptID(now)
	ctx, cancel := context.WithTimeout(r.Context(), h.EnqueueTimeout)
	defer cancel()
	if err := h.Queue.Send(ctx, webhookMessage(provider, v, body, now, receipt)); err != nil {
		log.Error().Err(err).Str("receipt_id", receipt).Msg("enqueue failed: answering 503 so the provider retries")
		return answer{http.StatusServiceUnavailable, "queue unavailable", "queue_error", false}
	}
	log.Info().Str("receipt_id", receipt).Int("bytes", len(body)).Msg("webhook accepted")
	return answer{http.StatusOK, "accepted " + receipt, "", false}
}

// readAndVerify returns the body, what the verifier kept, and the time it was received
// (after its last byte, as the signature's timestamp tolerance is judged).
func (h *Handler) readAndVerify(r *http.Request, verify Verifier, secrets []string, log zerolog.Logger) ([]byte, Verified, time.Time, *answer) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		log.Warn().Int64("limit", h.MaxBody).Msg("webhook refused: body too large")
		return nil, Verified{}, time.Time{}, &answer{http.StatusRequestEntityTooLarge, "too large", "too_large", false}
	case errors.Is(err, os.ErrDeadlineExceeded):
		log.Warn().Int("bytes_read", len(body)).Msg("webhook refused: body not received within the read timeout")
		return nil, Verified{}, time.Time{}, &answer{http.StatusRequestTimeout, "body too slow", "slow_body", false}
	case err != nil:
		return nil, Verified{}, time.Time{}, &answer{http.StatusBadRequest, "unreadable body", "unreadable", false}
	}
	now := h.Now()
	v, err := verify(r.Header, body, secrets, now)
	switch {
	case errors.Is(err, ErrSignature):
		log.Warn().Str("reason", err.Error()).Msg("webhook refused: signature")
		return nil, Verified{}, time.Time{}, &answer{http.StatusUnauthorized, "invalid signature", "signature", false}
	case err != nil: // ErrMalformed, or anything else a verifier refuses
		log.Warn().Str("reason", err.Error()).Msg("webhook refused: malformed")
		return nil, Verified{}, time.Time{}, &answer{http.StatusBadRequest, "malformed", "malformed", false}
	}
	return body, v, now, nil
}

// webhookMessage is the SQS message of a verified webhook: the envelope the consumer
// decodes, with the type and provider attributes its filters read.
func webhookMessage(provider string, v Verified, body []byte, now time.Time, receipt string) Message {
	data, _ := json.Marshal(events.Webhook{Provider: provider, Headers: v.Headers, BodyBase64: body, ReceivedAt: now.UTC(), ReceiptID: receipt})
	envelope, _ := json.Marshal(events.Envelope{ID: EventID(receipt), Type: events.WebhookReceived, Source: "receiver",
		OccurredAt: now.UTC(), Data: data})
	return Message{Body: string(envelope), Attributes: map[string]sqstypes.MessageAttributeValue{
		events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(events.WebhookReceived)},
		"provider":           {DataType: aws.String("String"), StringValue: aws.String(provider)},
	}}
}

// EventID is the id of the event the receiver enqueues for a webhook with this receipt
// id: what the inbox, the jobs and `pipelinectl trace` know it by.
func EventID(receiptID string) string { return "whk_" + receiptID }

// newReceiptID is time-ordered and unique: the time in ms, then random bits.
func newReceiptID(now time.Time) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405.000Z") + "_" + hex.EncodeToString(b)
}

// withIdleConns returns client with room for n idle connections per host (the SDK's
// default is 10), so the batcher's n concurrent calls reuse their connections instead
// of dialing and closing one each; the client's other settings are kept.
func withIdleConns(client *sqs.Client, n int) *sqs.Client {
	hc, ok := client.Options().HTTPClient.(infra.SDKHTTPClient)
	if !ok {
		return client
	}
	return sqs.New(client.Options(), func(o *sqs.Options) {
		o.HTTPClient = hc.WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = n })
	})
}
