package trustcache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"trustdocs/store"
	"trustdocs/testkit"
	"trustdocs/trust"
)

// benchUsers each get a ledger of benchEvents rows in the last 90 days.
const benchUsers, benchEvents = 200, 60

func benchWriter(b *testing.B) (Writer, *store.Pool, context.Context) {
	ctx := context.Background()
	cfg := testkit.Config(b)
	pool := testkit.DB(b, &cfg)
	clients := testkit.AWS(b, cfg)
	testkit.Bootstrap(b, cfg, clients)
	testkit.RiskLedger(b, pool, benchUsers, benchEvents)
	return Writer{Table: Table{DB: clients.DynamoDB, Name: cfg.TrustCacheTable}, WindowDays: cfg.RiskWindowDays}, pool, ctx
}

// BenchmarkCacheWriteVsBarePutItem compares, on the same table and item size, a bare
// PutItem loop with (a) our conditional write and (b) the whole refresh: one consistent
// read of the trust state in PostgreSQL, the item built, the conditional write.
func BenchmarkCacheWriteVsBarePutItem(b *testing.B) {
	w, pool, ctx := benchWriter(b)
	for i := range benchUsers { // snapshots, so items carry a risk score like real ones
		if err := store.InTx(ctx, pool, func(tx store.Tx) error {
			_, err := store.LockTrustUserTx(ctx, tx, fmt.Sprintf("usr_%d", i))
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	state, err := store.LoadTrustState(ctx, pool, "usr_0", w.WindowDays, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	sample := trust.Item(state, time.Now())
	const n = 300
	bare := func() time.Duration {
		start := time.Now()
		for i := range n {
			it := sample
			it.UserID, it.Version = fmt.Sprintf("usr_bare_%d", i%benchUsers), int64(i)
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Table.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(w.Table.Name), Item: av}); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	version := int64(0)
	conditional := func() time.Duration {
		start := time.Now()
		for i := range n {
			version++
			it := sample
			it.UserID, it.Version = fmt.Sprintf("usr_%d", i%benchUsers), version
			if err := w.Table.put(ctx, it); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	refresh := func() time.Duration {
		start := time.Now()
		for i := range n {
			if _, _, err := w.Write(ctx, pool, fmt.Sprintf("usr_%d", i%benchUsers), time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	var tb, tc, tr time.Duration
	for b.Loop() { // interleaved, so drift in the emulator hits all three alike
		tb += bare()
		tc += conditional()
		tr += refresh()
	}
	ops := float64(b.N * n)
	b.ReportMetric(ops/tb.Seconds(), "bare_puts/s")
	b.ReportMetric(ops/tc.Seconds(), "cache_writes/s")
	b.ReportMetric(ops/tr.Seconds(), "refreshes/s")
	b.ReportMetric(tb.Seconds()/tc.Seconds(), "write_ratio")
	b.ReportMetric(tb.Seconds()/tr.Seconds(), "refresh_ratio")
}
