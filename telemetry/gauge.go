package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Sample is one value of a scrape gauge, with its label values in order.
type Sample struct {
	Labels []string
	Value  float64
}

// scrapeGauge reads its values when Prometheus scrapes, so what it shows is the state
// of the pipeline now (queue depths, failed jobs), not a count this process kept.
type scrapeGauge struct {
	desc    *prometheus.Desc
	timeout time.Duration
	read    func(context.Context) ([]Sample, error)
	log     zerolog.Logger
}

// NewScrapeGauge returns a collector whose gauge values read calls at each scrape,
// within timeout. A failed read is logged and shows no values (an alert on absent()
// catches it), never stale ones.
func NewScrapeGauge(name, help string, labels []string, timeout time.Duration, log zerolog.Logger, read func(context.Context) ([]Sample, error)) prometheus.Collector {
	return &scrapeGauge{desc: prometheus.NewDesc(name, help, labels, nil), timeout: timeout, read: read, log: log}
}

func (g *scrapeGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *scrapeGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	samples, err := g.read(ctx)
	if err != nil {
		g.log.Warn().Err(err).Str("metric", g.desc.String()).Msg("metric read failed")
		return
	}
	for _, s := range samples {
		m, err := prometheus.NewConstMetric(g.desc, prometheus.GaugeValue, s.Value, s.Labels...)
		if err != nil {
			g.log.Warn().Err(err).Msg("metric value refused")
			continue
		}
		ch <- m
	}
}
