package workers

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"trustdocs/config"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/testkit"
)

var (
	benchPruneRows       = flag.Int("prune.rows", 1_000_000, "inbox rows seeded for the prune benchmarks")
	benchPruneSpanDays   = flag.Int("prune.days", 60, "the seeded rows' received_at spread over this many days before now (RETAIN_INBOX is 30d)")
	benchPruneBesideDays = flag.Int("prune.beside_days", 300, "BenchmarkConsumerCommitBesidePrune: the seeded rows' spread in days (300: 90% past the horizon, so the prune never runs dry)")
	benchPruneRoundEvent = flag.Int("prune.events", 5000, "BenchmarkConsumerCommitBesidePrune: events committed per round and side")
	benchPrunePause      = flag.Duration("prune.pause", PrunePause, "BenchmarkConsumerCommitBesidePrune: the prune's pause after each batch (negative: none)")
	benchPruneTxEvents   = flag.Int("prune.tx", 50, "BenchmarkConsumerCommitBesidePrune: events per transaction")
)

// benchHorizons are the configuration's defaults (RETAIN_INBOX 30d ...).
func benchHorizons(b *testing.B) PruneHorizons {
	cfg, err := config.LoadFrom(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	return cfg.Keep
}

// seedInbox empties the inbox and fills it with n rows received over the last days,
// oldest first (the physical order the consumer's appends give), with random-looking
// event ids (the primary key's inserts and deletes land all over it, as real ids' do),
// then vacuums and analyzes it: the state autovacuum keeps a live table in.
func seedInbox(b *testing.B, pool *store.Pool, n, days int) {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `truncate inbox`); err != nil {
		b.Fatal(err)
	}
	_, err := pool.Exec(ctx, `
		insert into inbox (event_id, type, source, queue, message_id, occurred_at, received_at)
		select 'evt_' || md5(g::text), 'risk.dispute.opened', 'bench', 'risk-windows', 'msg_' || g, t, t
		from generate_series(1, $1::int) g, lateral (select now() - make_interval(days => $2::int) * (1 - g::float8 / $1)) as ts(t)`,
		n, days)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `vacuum analyze inbox`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPruneInbox: the prune rate on an inbox of -prune.rows rows (1,000,000)
// received over -prune.days days (60), half of them past RETAIN_INBOX's 30 days. One op
// is the prune the job runs (workers.Prune, batches of 5,000, its defaults), from a
// freshly seeded table until nothing is left; the seeding is not timed. pause=50ms is
// the job as it runs; pause=none is the statements alone.
//
//	go test -run '^$' -bench PruneInbox -benchtime 1x ./workers/
func BenchmarkPruneInbox(b *testing.B) {
	cfg := testkit.Config(b)
	pool := testkit.DB(b, &cfg)
	h := benchHorizons(b)
	for _, pause := range []time.Duration{PrunePause, -1} {
		name := "pause=" + pause.String()
		if pause < 0 {
			name = "pause=none"
		}
		b.Run(name, func(b *testing.B) {
			var deleted int64
			var batches int
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				seedInbox(b, pool, *benchPruneRows, *benchPruneSpanDays)
				b.StartTimer()
				start := time.Now()
				res, err := Prune(context.Background(), pool, h, time.Now(), PruneOptions{Pause: pause})
				if err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
				if !res.Complete || res.Deleted[store.PruneInbox] == 0 {
					b.Fatalf("prune incomplete or empty: %+v", res)
				}
				deleted += res.Deleted[store.PruneInbox]
				batches += res.Batches
			}
			b.ReportMetric(float64(deleted)/took.Seconds(), "rows/s")
			b.ReportMetric(float64(deleted)/float64(b.N), "rows_deleted/op")
			b.ReportMetric(float64(took.Milliseconds())/float64(batches), "ms/batch")
		})
	}
}

// BenchmarkConsumerCommitBesidePrune: the consumer's throughput into PostgreSQL with the
// prune running beside it, against without. The consumer's side is its commit path as
// BenchmarkCommitPath (consumer/) measures it, not the whole consumer: transactions of
// -prune.tx (50) events, each its inbox rows (store.InsertInboxTx) and its River job
// (InsertManyFastTx, COPY), committed one after another on one connection, events built
// beforehand (no SQS, no validation). The inbox holds -prune.rows (1,000,000) rows over
// -prune.beside_days (300) days, so the prune has about 900,000 to delete and never runs
// dry during the rounds (the benchmark fails if it does).
//
// Each op is one round of each side, -prune.events (5,000) events each: without, then
// with a prune started at the round's start and stopped at its end (the job's own
// settings: batches of 5,000, 50 ms pauses; -prune.pause changes the pause), the order swapped every round so drift
// hits both alike. ratio is the median over the ops of the op's events/s with the prune
// over its events/s without (goal >= 0.8): each op's two rounds are side by side, so a
// change in the machine's load between ops cancels out.
//
//	go test -run '^$' -bench ConsumerCommitBesidePrune -benchtime 10x ./workers/
func BenchmarkConsumerCommitBesidePrune(b *testing.B) {
	ctx := context.Background()
	cfg := testkit.Config(b)
	pool := testkit.DB(b, &cfg)
	h := benchHorizons(b)
	seedInbox(b, pool, *benchPruneRows, *benchPruneBesideDays)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Hooks: jobmeta.Hooks()}) // insert-only
	if err != nil {
		b.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()

	perTx := *benchPruneTxEvents
	seq := 0
	// batchOf builds one transaction's events as the consumer has them after validation.
	batchOf := func() ([]store.InboxEntry, []river.InsertManyParams) {
		entries := make([]store.InboxEntry, perTx)
		var params []river.InsertManyParams
		for i := range entries {
			seq++
			env := events.Envelope{ID: fmt.Sprintf("evt_commit_%d", seq), Type: events.DisputeOpened, Source: "bench",
				OccurredAt: time.Now().UTC(), Data: json.RawMessage(fmt.Sprintf(`{"user_id":"usr_%d","booking_id":"bkg_1"}`, seq%50))}
			jobs, err := JobsFor(env)
			if err != nil {
				b.Fatal(err)
			}
			params = append(params, jobs...)
			entries[i] = store.InboxEntry{EventID: env.ID, Type: env.Type, Source: env.Source, Queue: "risk-windows",
				MessageID: fmt.Sprint("msg_commit_", seq), OccurredAt: env.OccurredAt}
		}
		return entries, params
	}
	// round commits n events and returns events/s.
	round := func(n int) float64 {
		type txBatch struct {
			entries []store.InboxEntry
			params  []river.InsertManyParams
		}
		var txs []txBatch
		for range max(1, n/perTx) {
			e, p := batchOf()
			txs = append(txs, txBatch{e, p})
		}
		start := time.Now()
		for _, t := range txs {
			err := store.InTx(ctx, conn, func(tx store.Tx) error {
				if _, err := store.InsertInboxTx(ctx, tx, t.entries); err != nil {
					return err
				}
				_, err := client.InsertManyFastTx(ctx, tx, t.params)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		return float64(len(txs)*perTx) / time.Since(start).Seconds()
	}
	var pruned int64
	var pruneTime time.Duration
	beside := func(n int) float64 {
		pctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var res PruneResult
		var perr error
		wg.Add(1)
		start := time.Now()
		go func() {
			defer wg.Done()
			res, perr = Prune(pctx, pool, h, time.Now(), PruneOptions{Pause: *benchPrunePause})
		}()
		rate := round(n)
		stop()
		wg.Wait()
		pruneTime += time.Since(start)
		if perr != nil && !errors.Is(perr, context.Canceled) {
			b.Fatal(perr)
		}
		if res.Complete {
			b.Fatalf("the prune ran out of rows during a round (%d pruned so far): seed more (-prune.rows)", pruned)
		}
		pruned += res.Deleted[store.PruneInbox]
		return rate
	}

	round(*benchPruneRoundEvent) // warm up: statements prepared, caches filled
	beside(*benchPruneRoundEvent)
	pruned, pruneTime = 0, 0
	var without, with, ratios []float64
	i := 0
	for b.Loop() {
		var alone, besides float64
		if i%2 == 0 {
			alone = round(*benchPruneRoundEvent)
			besides = beside(*benchPruneRoundEvent)
		} else {
			besides = beside(*benchPruneRoundEvent)
			alone = round(*benchPruneRoundEvent)
		}
		without, with, ratios = append(without, alone), append(with, besides), append(ratios, besides/alone)
		i++
	}
	b.ReportMetric(median(without), "events/s_alone")
	b.ReportMetric(median(with), "events/s_beside_prune")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(float64(pruned)/pruneTime.Seconds(), "pruned_rows/s")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
