package consumer_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"trustdocs/events"
	"trustdocs/store"
	"trustdocs/workers"
)

func pgCPU(t *testing.T, pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	var u, s int64
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &s)
	return time.Duration(u+s) * 10 * time.Millisecond
}

func TestMicroCommit(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	mode := os.Getenv("MODE")
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var pid int
	conn.QueryRow(ctx, "select pg_backend_pid()").Scan(&pid)
	seq := 0
	const per, rounds = 100, 100
	var tBegin, tInbox, tRiver, tCommit time.Duration
	cpu0 := pgCPU(t, pid)
	start := time.Now()
	for r := 0; r < rounds; r++ {
		var entries []store.InboxEntry
		var params []river.InsertManyParams
		for i := 0; i < per; i++ {
			seq++
			env, err := events.Decode([]byte(riskEvent(fmt.Sprintf("evt_m_%d", seq), "usr_1")))
			if err != nil {
				t.Fatal(err)
			}
			jobs, _ := workers.JobsFor(env)
			params = append(params, jobs...)
			entries = append(entries, store.InboxEntry{EventID: env.ID, Type: env.Type, Source: env.Source, Queue: "q", MessageID: fmt.Sprint(seq), OccurredAt: env.OccurredAt})
		}
		t0 := time.Now()
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		if mode != "noinbox" {
			if _, err := store.InsertInboxTx(ctx, tx, entries); err != nil {
				t.Fatal(err)
			}
		}
		t2 := time.Now()
		switch mode {
		case "copy":
			_, err = b.river.InsertManyFastTx(ctx, tx, params)
		case "noriver":
		default:
			_, err = b.river.InsertManyTx(ctx, tx, params)
		}
		if err != nil {
			t.Fatal(err)
		}
		t3 := time.Now()
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		t4 := time.Now()
		tBegin += t1.Sub(t0)
		tInbox += t2.Sub(t1)
		tRiver += t3.Sub(t2)
		tCommit += t4.Sub(t3)
	}
	el := time.Since(start)
	cpu := pgCPU(t, pid) - cpu0
	n := per * rounds
	fmt.Printf("mode=%s: %d msgs in %v (%.0f/s); per commit: begin %v inbox %v river %v commit %v; backend CPU %v = %v/msg\n", mode, n, el, float64(n)/el.Seconds(),
		tBegin/rounds, tInbox/rounds, tRiver/rounds, tCommit/rounds, cpu, cpu/time.Duration(n))
	_ = pgx.ErrNoRows
}
