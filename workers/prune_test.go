package workers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// testHorizons are the configuration's defaults (RETAIN_*).
func testHorizons(t *testing.T) PruneHorizons {
	t.Helper()
	cfg, err := config.LoadFrom(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, cfg.Keep.Inbox)
	return cfg.Keep
}

// pruneSeed inserts, in the test's transaction, n rows of an operational table stamped
// at (ops_action_item: items of the action named prefix).
func (b *jobTest) pruneSeed(t *testing.T, table, prefix string, n int, at time.Time) {
	t.Helper()
	sql := map[string]string{
		store.PruneInbox: `insert into inbox (event_id, type, source, queue, message_id, occurred_at, received_at)
			select $1 || '_' || g, 'risk.dispute.opened', 'test', 'q', 'msg_' || g, $2, $2 from generate_series(1, $3) g`,
		store.PruneFailures: `insert into message_failure (message_id, queue, error_class, error_text, receive_count, first_failed_at, last_failed_at)
			select $1 || '_' || g, 'q', 'transient', 'boom', 1, $2, $2 from generate_series(1, $3) g`,
		store.PruneWebhookEvents: `insert into webhook_event (dedupe_key, provider, event_type, receipt_id, outcome, received_at, recorded_at)
			select $1 || '_' || g, 'checkr', 'report.completed', 'rcp_' || g, 'applied', $2, $2 from generate_series(1, $3) g`,
		store.PruneOpsActions: `insert into ops_action (action_id, action, actor, reason, started_at)
			select $1 || '_' || g, 'dlq_replay', 'test', 'test', $2 from generate_series(1, $3) g`,
		store.PruneOpsActionItems: `insert into ops_action_item (action_id, item_id, done_at)
			select $1, 'item_' || g, $2 from generate_series(1, $3) g`,
	}[table]
	_, err := b.tx.Exec(b.ctx, sql, prefix, at, n)
	require.NoError(t, err, "seed %s", table)
}

// pruneLeft returns the keys left in each operational table, sorted.
func (b *jobTest) pruneLeft(t *testing.T) map[string][]string {
	t.Helper()
	return map[string][]string{
		store.PruneInbox:          column(t, b, `select event_id from inbox order by 1`),
		store.PruneFailures:       column(t, b, `select message_id from message_failure order by 1`),
		store.PruneWebhookEvents:  column(t, b, `select dedupe_key from webhook_event order by 1`),
		store.PruneOpsActionItems: column(t, b, `select action_id || '/' || item_id from ops_action_item order by 1`),
		store.PruneOpsActions:     column(t, b, `select action_id from ops_action order by 1`),
	}
}

func outputOf(t *testing.T, job []byte) PruneResult {
	t.Helper()
	var r PruneResult
	require.NotEmpty(t, job, "the job recorded no output")
	require.NoError(t, json.Unmarshal(job, &r))
	return r
}

func TestJobPruneOperationalTables(t *testing.T) {
	t.Parallel()
	db := jobDB(t)
	h := testHorizons(t)
	hour := time.Hour

	// Each table: rows an hour past its horizon (old) and an hour inside it (new).
	seed := func(t *testing.T, b *jobTest, oldInbox int) {
		t.Helper()
		b.pruneSeed(t, store.PruneInbox, "evt_old", oldInbox, testNow.Add(-h.Inbox-hour))
		b.pruneSeed(t, store.PruneInbox, "evt_new", 2, testNow.Add(-h.Inbox+hour))
		b.pruneSeed(t, store.PruneFailures, "msg_old", 1, testNow.Add(-h.Failures-hour))
		b.pruneSeed(t, store.PruneFailures, "msg_new", 1, testNow.Add(-h.Failures+hour))
		b.pruneSeed(t, store.PruneWebhookEvents, "whk_old", 2, testNow.Add(-h.WebhookEvents-hour))
		b.pruneSeed(t, store.PruneWebhookEvents, "whk_new", 1, testNow.Add(-h.WebhookEvents+hour))
		b.pruneSeed(t, store.PruneOpsActions, "rpl_old", 1, testNow.Add(-h.OpsActions-hour))
		b.pruneSeed(t, store.PruneOpsActionItems, "rpl_old_1", 3, testNow.Add(-h.OpsActions-hour))
		b.pruneSeed(t, store.PruneOpsActions, "rpl_new", 1, testNow.Add(-h.OpsActions+hour))
		b.pruneSeed(t, store.PruneOpsActionItems, "rpl_new_1", 1, testNow.Add(-h.OpsActions+hour))
	}
	kept := map[string][]string{
		store.PruneInbox:          {"evt_new_1", "evt_new_2"},
		store.PruneFailures:       {"msg_new_1"},
		store.PruneWebhookEvents:  {"whk_new_1"},
		store.PruneOpsActionItems: {"rpl_new_1/item_1"},
		store.PruneOpsActions:     {"rpl_new_1"},
	}

	t.Run("deletes every table's rows past its horizon in batches, keeps the rest and records what it did", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		seed(t, b, 3)
		type batch struct {
			table string
			n     int64
		}
		var batches []batch
		w := &PruneWorker{deps: b.deps, horizons: h, opts: PruneOptions{Batch: 2, Pause: -1,
			OnBatch: func(table string, n int64) { batches = append(batches, batch{table, n}) }}}

		res, err := work(t, b, w, PruneOperationalTablesArgs{})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.True(t, jobmeta.Of(res.Job.Metadata).Empty(), "a global job names no id")
		require.Equal(t, river.QueueDefault, res.Job.Queue)

		require.Equal(t, kept, b.pruneLeft(t))
		require.Equal(t, []batch{
			// Round 1: a batch of each table (at most 2 rows); the old action keeps its
			// place while its items are being pruned.
			{store.PruneInbox, 2}, {store.PruneFailures, 1}, {store.PruneWebhookEvents, 2}, {store.PruneOpsActionItems, 2}, {store.PruneOpsActions, 0},
			// Round 2: the tables whose batch was full, and the action.
			{store.PruneInbox, 1}, {store.PruneWebhookEvents, 0}, {store.PruneOpsActionItems, 1}, {store.PruneOpsActions, 1},
		}, batches)

		out := outputOf(t, res.Job.Output())
		require.Equal(t, map[string]int64{store.PruneInbox: 3, store.PruneFailures: 1, store.PruneWebhookEvents: 2,
			store.PruneOpsActionItems: 3, store.PruneOpsActions: 1}, out.Deleted)
		require.True(t, out.Complete)
		require.Equal(t, 9, out.Batches)
		require.Equal(t, testNow.Add(-h.Inbox), out.Before[store.PruneInbox].UTC())
		require.Equal(t, testNow.Add(-h.OpsActions), out.Before[store.PruneOpsActions].UTC())
		require.Equal(t, int64(10), out.Total())
	})

	t.Run("a run again finds nothing to prune", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		seed(t, b, 1)
		w := &PruneWorker{deps: b.deps, horizons: h, opts: PruneOptions{Pause: -1}}
		mustComplete(t, b, w, PruneOperationalTablesArgs{})
		b.forgetJobs(t)
		res, err := work(t, b, w, PruneOperationalTablesArgs{})
		require.NoError(t, err)
		out := outputOf(t, res.Job.Output())
		require.Zero(t, out.Total())
		require.True(t, out.Complete)
		require.Equal(t, kept, b.pruneLeft(t))
	})

	t.Run("stops when its budget is used and says so; the next run goes on", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		seed(t, b, 3)
		w := &PruneWorker{deps: b.deps, horizons: h, opts: PruneOptions{Batch: 1, Pause: 20 * time.Millisecond, Budget: 30 * time.Millisecond}}
		res, err := work(t, b, w, PruneOperationalTablesArgs{})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind, "a run cut short by its budget is not a failure")
		out := outputOf(t, res.Job.Output())
		require.False(t, out.Complete)
		require.Positive(t, out.Total())
		require.Less(t, out.Total(), int64(10))

		b.forgetJobs(t)
		w.opts = PruneOptions{Pause: -1}
		res, err = work(t, b, w, PruneOperationalTablesArgs{})
		require.NoError(t, err)
		out2 := outputOf(t, res.Job.Output())
		require.True(t, out2.Complete)
		require.Equal(t, int64(10), out.Total()+out2.Total())
		require.Equal(t, kept, b.pruneLeft(t))
	})

	t.Run("refuses a horizon shorter than a day and deletes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		seed(t, b, 1)
		before := b.pruneLeft(t)
		short := h
		short.Inbox = 30 * time.Minute // RETAIN_INBOX=30m where 30d was meant
		res, err := work(t, b, &PruneWorker{deps: b.deps, horizons: short}, PruneOperationalTablesArgs{})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind, "a configuration error: no retry")
		require.Contains(t, res.Job.Errors[0].Error, "inbox keeps its rows 30m0s, less than 1d")
		require.Equal(t, before, b.pruneLeft(t))
	})
}

func TestPrunePeriodicJobIsHourlyAndUnique(t *testing.T) {
	t.Parallel()
	p := PrunePeriodicJob()
	require.NotNil(t, p)
	opts := PruneOperationalTablesArgs{}.InsertOpts()
	require.Equal(t, river.QueueDefault, opts.Queue)
	require.True(t, opts.UniqueOpts.ByArgs)
	require.Contains(t, Queues(1), opts.Queue, "a queue the worker works")
	require.Equal(t, "prune_operational_tables", PruneOperationalTablesArgs{}.Kind())
}
