package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/store"
	"trustdocs/testkit"
)

// pruneRows inserts n rows into an operational table, stamped at, with keys prefix_0...
// (ops_action: an action each; ops_action_item: items of the action named prefix).
func pruneRows(t *testing.T, pool *pgxpool.Pool, table, prefix string, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	var sql string
	switch table {
	case store.PruneInbox:
		sql = `insert into inbox (event_id, type, source, queue, message_id, occurred_at, received_at)
			select $1 || '_' || g, 'risk.dispute.opened', 'test', 'q', 'msg_' || g, $2, $2 from generate_series(0, $3 - 1) g`
	case store.PruneFailures:
		sql = `insert into message_failure (message_id, queue, error_class, error_text, receive_count, first_failed_at, last_failed_at)
			select $1 || '_' || g, 'q', 'transient', 'boom', 1, $2, $2 from generate_series(0, $3 - 1) g`
	case store.PruneWebhookEvents:
		sql = `insert into webhook_event (dedupe_key, provider, event_type, receipt_id, outcome, received_at, recorded_at)
			select $1 || '_' || g, 'checkr', 'report.completed', 'rcp_' || g, 'applied', $2, $2 from generate_series(0, $3 - 1) g`
	case store.PruneOpsActions:
		sql = `insert into ops_action (action_id, action, actor, reason, started_at)
			select $1 || '_' || g, 'dlq_replay', 'test', 'test', $2 from generate_series(0, $3 - 1) g`
	case store.PruneOpsActionItems:
		sql = `insert into ops_action_item (action_id, item_id, done_at)
			select $1, 'item_' || g, $2 from generate_series(0, $3 - 1) g`
	}
	_, err := pool.Exec(ctx, sql, prefix, at, n)
	require.NoError(t, err, "seed %s", table)
}

func countRows(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func TestPruneBatchDeletesOnlyOldRowsInBoundedBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	before := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

	keys := map[string]string{
		store.PruneInbox: "select event_id from inbox", store.PruneFailures: "select message_id from message_failure",
		store.PruneWebhookEvents: "select dedupe_key from webhook_event",
	}
	for table, keySQL := range keys {
		t.Run(table, func(t *testing.T) {
			// 7 old rows (one a second before the horizon), 3 new (one exactly at it).
			pruneRows(t, pool, table, "old", 6, before.Add(-24*time.Hour))
			pruneRows(t, pool, table, "edge_old", 1, before.Add(-time.Second))
			pruneRows(t, pool, table, "new", 2, before.Add(time.Hour))
			pruneRows(t, pool, table, "edge_new", 1, before)

			n, err := store.PruneCount(ctx, pool, table, before)
			require.NoError(t, err)
			require.Equal(t, int64(7), n, "what would go")

			var batches []int64
			for {
				n, err := store.PruneBatch(ctx, pool, table, before, 3)
				require.NoError(t, err)
				batches = append(batches, n)
				if n < 3 {
					break
				}
			}
			require.Equal(t, []int64{3, 3, 1}, batches, "at most the limit per call, until none is left")

			rows, err := pool.Query(ctx, keySQL+" order by 1")
			require.NoError(t, err)
			var left []string
			for rows.Next() {
				var k string
				require.NoError(t, rows.Scan(&k))
				left = append(left, k)
			}
			require.NoError(t, rows.Err())
			require.Equal(t, []string{"edge_new_0", "new_0", "new_1"}, left, "rows at or after the horizon stay")

			n, err = store.PruneBatch(ctx, pool, table, before, 3)
			require.NoError(t, err)
			require.Zero(t, n, "nothing left to prune")
		})
	}
}

func TestPruneBatchTakesTheOldestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		pruneRows(t, pool, store.PruneInbox, fmt.Sprintf("day%d", i), 1, now.AddDate(0, 0, -10+i))
	}
	n, err := store.PruneBatch(ctx, pool, store.PruneInbox, now, 2)
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	require.Equal(t, 3, countRows(t, pool, `select count(*) from inbox where event_id in ('day2_0', 'day3_0', 'day4_0')`))
	require.Equal(t, 3, countRows(t, pool, `select count(*) from inbox`))
}

func TestPruneOpsActionsGoWithTheirItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	before := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	pruneRows(t, pool, store.PruneOpsActions, "rpl_old", 2, before.Add(-time.Hour))
	pruneRows(t, pool, store.PruneOpsActions, "rpl_new", 1, before.Add(time.Hour))
	pruneRows(t, pool, store.PruneOpsActionItems, "rpl_old_0", 5, before.Add(-time.Hour))
	pruneRows(t, pool, store.PruneOpsActionItems, "rpl_old_1", 2, before.Add(-time.Hour))
	// Items done after the horizon go with their action, which started before it.
	pruneRows(t, pool, store.PruneOpsActionItems, "rpl_new_0", 3, before.Add(2*time.Hour))
	_, err := pool.Exec(ctx, `insert into ops_action_item (action_id, item_id, done_at) values ('rpl_old_1', 'late', $1)`, before.Add(time.Hour))
	require.NoError(t, err)

	n, err := store.PruneCount(ctx, pool, store.PruneOpsActionItems, before)
	require.NoError(t, err)
	require.Equal(t, int64(8), n)

	n, err = store.PruneBatch(ctx, pool, store.PruneOpsActions, before, 10)
	require.NoError(t, err)
	require.Zero(t, n, "an action with items left stays (its items go first)")

	n, err = store.PruneBatch(ctx, pool, store.PruneOpsActionItems, before, 6)
	require.NoError(t, err)
	require.Equal(t, int64(6), n, "items in bounded batches too")
	n, err = store.PruneBatch(ctx, pool, store.PruneOpsActions, before, 10)
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "the action whose items are all gone")
	n, err = store.PruneBatch(ctx, pool, store.PruneOpsActionItems, before, 6)
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	n, err = store.PruneBatch(ctx, pool, store.PruneOpsActions, before, 10)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)

	require.Equal(t, 1, countRows(t, pool, `select count(*) from ops_action`))
	require.Equal(t, 1, countRows(t, pool, `select count(*) from ops_action where action_id = 'rpl_new_0'`))
	require.Equal(t, 3, countRows(t, pool, `select count(*) from ops_action_item where action_id = 'rpl_new_0'`))
	require.Equal(t, 3, countRows(t, pool, `select count(*) from ops_action_item`))
}

func TestPruneBatchSkipsRowsOthersHold(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	before := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	pruneRows(t, pool, store.PruneInbox, "old", 4, before.Add(-time.Hour))

	// Another transaction holds the oldest row (an operator's session, a second pruner).
	other, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer other.Rollback(context.Background())
	_, err = other.Exec(ctx, `select 1 from inbox where event_id = 'old_0' for update`)
	require.NoError(t, err)

	// With a lock wait the call would block until ctx ends; it passes over the row.
	short, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	defer cancelShort()
	n, err := store.PruneBatch(short, pool, store.PruneInbox, before, 10)
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
	require.NoError(t, other.Rollback(ctx))

	n, err = store.PruneBatch(ctx, pool, store.PruneInbox, before, 10)
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "the row once released")
}

func TestPruneBatchRefusesOtherTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	_, err := store.PruneBatch(ctx, pool, "doc_pack", time.Now(), 10)
	require.ErrorContains(t, err, "not an operational table")
	_, err = store.PruneBatch(ctx, pool, "inbox; drop table inbox", time.Now(), 10)
	require.ErrorContains(t, err, "not an operational table")
	_, err = store.PruneCount(ctx, pool, "river_job", time.Now())
	require.ErrorContains(t, err, "not an operational table")
	_, err = store.PruneBatch(ctx, pool, store.PruneInbox, time.Now(), 0)
	require.ErrorContains(t, err, "batch size")
}

// Migration 00013 builds the indexes the batches read, concurrently: each exists and is
// valid (a failed concurrent build would leave it invalid, unused by the planner).
func TestPruneIndexesAreValid(t *testing.T) {
	t.Parallel()
	cfg := testkit.Config(t)
	pool := testkit.DB(t, &cfg)
	for _, idx := range []string{"inbox_received_at_idx", "message_failure_last_failed_at_idx", "webhook_event_recorded_at_idx",
		"ops_action_started_at_idx"} {
		require.Equal(t, 1, countRows(t, pool, `select count(*) from pg_index where indexrelid = to_regclass($1) and indisvalid`, idx), idx)
	}
}
