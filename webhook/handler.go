package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"trustdocs/events"
)

// DefaultMaxBody bounds a webhook body. Provider payloads are a few KB; base64 in the
// queued envelope grows a body by a third, and this keeps the message under SQS's
// 256 KiB.
const DefaultMaxBody = 128 << 10

// Handler serves POST /webhooks/{provider}: read the raw body under a size limit,
// verify it, enqueue {provider, headers, raw body, received_at, receipt id} and answer
// once the message is on the queue. Codes: 2xx accepted (Dropbox Sign: its exact
// body), 401 bad or missing signature, 400 malformed, 413 too large, 404 unknown
// provider, 503 no secret configured or queue unavailable (the provider retries).
// Bodies and secrets are never logged.
type Handler struct {
	Secrets  map[string][]string
	SQS      *sqs.Client
	QueueURL string
	MaxBody  int64
	Now      func() time.Time
	Log      zerolog.Logger
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewHandler returns a handler with its metrics registered on reg (which may be nil).
func NewHandler(secrets map[string][]string, client *sqs.Client, queueURL string, reg prometheus.Registerer, log zerolog.Logger) *Handler {
	h := &Handler{Secrets: secrets, SQS: client, QueueURL: queueURL, MaxBody: DefaultMaxBody, Now: time.Now, Log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_receiver_requests_total", Help: "Webhook requests by provider and response code.",
		}, []string{"provider", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trustdocs_receiver_request_seconds", Help: "Time to verify and enqueue a webhook.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"provider"}),
	}
	if reg != nil {
		reg.MustRegister(h.requests, h.latency)
	}
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	provider := r.PathValue("provider")
	verify, known := Verifiers[provider]
	if !known {
		provider = "unknown" // bounded label set
	}
	code, msg := h.handle(r, provider, verify, known)
	h.requests.WithLabelValues(provider, strconv.Itoa(code)).Inc() // the numeric code, as alerts match it (code=~"5..")
	h.latency.WithLabelValues(provider).Observe(time.Since(start).Seconds())
	if code == http.StatusOK && provider == "dropboxsign" {
		msg = "Hello API Event Received" // Dropbox Sign requires this exact body
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}

func (h *Handler) handle(r *http.Request, provider string, verify Verifier, known bool) (int, string) {
	log := h.Log.With().Str("provider", provider).Logger()
	if !known {
		return http.StatusNotFound, "unknown provider"
	}
	secrets := h.Secrets[provider]
	if len(secrets) == 0 {
		log.Error().Msg("no webhook secret configured: refusing (the provider will retry)")
		return http.StatusServiceUnavailable, "not configured"
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		log.Warn().Int64("limit", h.MaxBody).Msg("webhook refused: body too large")
		return http.StatusRequestEntityTooLarge, "too large"
	}
	if err != nil {
		return http.StatusBadRequest, "unreadable body"
	}
	now := h.Now()
	v, err := verify(r.Header, body, secrets, now)
	switch {
	case errors.Is(err, ErrSignature):
		log.Warn().Str("reason", err.Error()).Msg("webhook refused: signature")
		return http.StatusUnauthorized, "invalid signature"
	case errors.Is(err, ErrMalformed):
		log.Warn().Str("reason", err.Error()).Msg("webhook refused: malformed")
		return http.StatusBadRequest, "malformed"
	case err != nil:
		return http.StatusBadRequest, "malformed"
	}

	receipt := newReceiptID(now)
	data, _ := json.Marshal(events.Webhook{Provider: provider, Headers: v.Headers, BodyBase64: body, ReceivedAt: now.UTC(), ReceiptID: receipt})
	envelope, _ := json.Marshal(events.Envelope{ID: EventID(receipt), Type: events.WebhookReceived, Source: "receiver",
		OccurredAt: now.UTC(), Data: data})
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	_, err = h.SQS.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(h.QueueURL), MessageBody: aws.String(string(envelope)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(events.WebhookReceived)},
			"provider":           {DataType: aws.String("String"), StringValue: aws.String(provider)},
		},
	})
	if err != nil {
		log.Error().Err(err).Str("receipt_id", receipt).Msg("enqueue failed: answering 503 so the provider retries")
		return http.StatusServiceUnavailable, "queue unavailable"
	}
	log.Info().Str("receipt_id", receipt).Int("bytes", len(body)).Msg("webhook accepted")
	return http.StatusOK, "accepted " + receipt
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
