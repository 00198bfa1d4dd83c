package consumer

import "github.com/prometheus/client_golang/prometheus"

// Metrics are per queue: messages by outcome, batch latency and event age.
type Metrics struct {
	messages *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	eventAge *prometheus.HistogramVec
}

// NewMetrics registers the consumer metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_consumer_messages_total",
			Help: "SQS messages by queue and outcome: received, processed, duplicate, dead_lettered, retried.",
		}, []string{"queue", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "trustdocs_consumer_batch_seconds",
			Help:    "Time from handling a received batch to its commit.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14),
		}, []string{"queue"}),
		eventAge: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "trustdocs_consumer_event_age_seconds",
			Help:    "Age of an event (now minus occurred_at) when its effects committed.",
			Buckets: prometheus.ExponentialBuckets(0.05, 4, 12),
		}, []string{"queue"}),
	}
	if reg != nil {
		reg.MustRegister(m.messages, m.latency, m.eventAge)
	}
	return m
}

func (m *Metrics) count(queue, outcome string, n int) {
	if n > 0 {
		m.messages.WithLabelValues(queue, outcome).Add(float64(n))
	}
}
