package workers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/rs/zerolog"

	"trustdocs/jobmeta"
	"trustdocs/risk"
	"trustdocs/store"
	"trustdocs/testkit"
)

// benchUsers each get a ledger of benchEvents rows in the last 90 days.
const benchUsers, benchEvents = 200, 60

func benchDeps(b *testing.B) (*Deps, context.Context) {
	ctx := context.Background()
	cfg := testkit.Config(b)
	pool := testkit.DB(b, &cfg)
	testkit.RiskLedger(b, pool, benchUsers, benchEvents)
	return &Deps{DB: pool, RiskWindowDays: cfg.RiskWindowDays, Log: zerolog.Nop()}, ctx
}

// BenchmarkRiskRecompute: one op recomputes one user's two rolling windows (30 and 90
// days, 60 ledger rows) in its own transaction, as the job does. Alternate windows make
// every op store changed snapshots, the expensive case (the daily roll).
func BenchmarkRiskRecompute(b *testing.B) {
	deps, ctx := benchDeps(b)
	pool := deps.DB.(*store.Pool)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Hooks: jobmeta.Hooks()}) // insert-only, for the refresh it queues
	if err != nil {
		b.Fatal(err)
	}
	ctx = rivertest.WorkContext(ctx, client)
	days := [][]int{{30, 90}, {31, 91}}
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		windows := risk.RollingWindows(days[(i/benchUsers)%2], time.Now())
		err := store.InTx(ctx, pool, func(tx store.Tx) error {
			return recomputeRiskTx(ctx, tx, fmt.Sprintf("usr_%d", i%benchUsers), windows, deps.Log)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "recomputes/s")
}
