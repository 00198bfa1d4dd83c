package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/jackc/pgx/v5/pgxpool"

	"trustdocs/config"
	"trustdocs/dlq"
	"trustdocs/store"
	"trustdocs/telemetry"
)

// queueDepths reads each queue's visible and in-flight counts.
func queueDepths(client *sqs.Client, urls map[string]string) func(context.Context) ([]telemetry.Sample, error) {
	return func(ctx context.Context) ([]telemetry.Sample, error) {
		var out []telemetry.Sample
		for name, url := range urls {
			d, err := (&dlq.Client{SQS: client}).Depth(ctx, url)
			if err != nil {
				return nil, err
			}
			out = append(out, telemetry.Sample{Labels: []string{name, "visible"}, Value: float64(d.Visible)},
				telemetry.Sample{Labels: []string{name, "in_flight"}, Value: float64(d.InFlight)})
		}
		return out, nil
	}
}

// failedJobs counts discarded and retryable jobs by kind, with an "all" total per state
// that is present even when zero, so an alert has a series to watch.
func failedJobs(pool *pgxpool.Pool) func(context.Context) ([]telemetry.Sample, error) {
	return func(ctx context.Context) ([]telemetry.Sample, error) {
		counts, err := store.FailedJobCounts(ctx, pool)
		if err != nil {
			return nil, err
		}
		total := map[string]float64{}
		for _, s := range store.AttentionJobStates {
			total[s] = 0
		}
		var out []telemetry.Sample
		for _, c := range counts {
			total[c.State] += float64(c.Count)
			out = append(out, telemetry.Sample{Labels: []string{c.State, c.Kind}, Value: float64(c.Count)})
		}
		for state, n := range total {
			out = append(out, telemetry.Sample{Labels: []string{state, "all"}, Value: n})
		}
		return out, nil
	}
}

// stuckPacks counts the packs draft longer than STUCK_PACK_AFTER and issued longer than
// UNSIGNED_PACK_AFTER, both present even when zero.
func stuckPacks(db store.Querier, st config.Stuck) func(context.Context) ([]telemetry.Sample, error) {
	return func(ctx context.Context) ([]telemetry.Sample, error) {
		now := time.Now()
		packs, err := store.StuckPacks(ctx, db, now.Add(-st.DraftPackAfter), now.Add(-st.UnsignedPackAfter))
		if err != nil {
			return nil, err
		}
		n := map[string]float64{"draft": 0, "issued": 0}
		for _, p := range packs {
			n[p.Status]++
		}
		return []telemetry.Sample{{Labels: []string{"draft"}, Value: n["draft"]}, {Labels: []string{"issued"}, Value: n["issued"]}}, nil
	}
}

// stuckEnvelopes counts, by provider, the envelopes still sent past
// ENVELOPE_EXPIRES_AFTER, with the configured provider present even when zero.
func stuckEnvelopes(db store.Querier, st config.Stuck, provider string) func(context.Context) ([]telemetry.Sample, error) {
	return func(ctx context.Context) ([]telemetry.Sample, error) {
		n, err := store.StuckEnvelopes(ctx, db, time.Now().Add(-st.EnvelopeAfter))
		if err != nil {
			return nil, err
		}
		if _, ok := n[provider]; !ok {
			n[provider] = 0
		}
		out := make([]telemetry.Sample, 0, len(n))
		for p, c := range n {
			out = append(out, telemetry.Sample{Labels: []string{p}, Value: float64(c)})
		}
		return out, nil
	}
}
