package store

import (
	"context"
	"fmt"
	"time"
)

// The operational tables: the rows the pipeline keeps only for a while (README "Pruning
// the operational tables" gives each horizon's reasoning). Their names are the keys of
// the prune job's output and of `pipelinectl prune`.
const (
	PruneInbox          = "inbox"           // by received_at
	PruneFailures       = "message_failure" // by last_failed_at
	PruneWebhookEvents  = "webhook_event"   // by recorded_at
	PruneOpsActionItems = "ops_action_item" // by its action's started_at
	PruneOpsActions     = "ops_action"      // by started_at, once its items are gone
)

// PruneTables lists the operational tables in the order pruning visits them: an
// action's items before the action (ops_action_item references ops_action).
var PruneTables = []string{PruneInbox, PruneFailures, PruneWebhookEvents, PruneOpsActionItems, PruneOpsActions}

// pruneStatement is one table's statements: delete deletes at most $2 rows older than $1
// and count counts the rows older than $1. The set is fixed: no statement is built from
// a name given at run time.
type pruneStatement struct{ delete, count string }

// Each delete is one short statement: it picks at most $2 of the oldest rows through the
// index on the table's timestamp (migration 00013), locks them and deletes them by their
// physical address (ctid: a TID scan, no second walk of the primary key for each row).
// A row's ctid stays put while the statement holds its lock, and a row another
// transaction updated meanwhile is locked in its newest version, which this statement's
// snapshot cannot see: it is left for the next batch, never the wrong row deleted.
// SKIP LOCKED passes over rows another transaction holds (a consumer inserting, an
// operator replaying, a second pruner), so a batch never waits behind anyone and nobody
// waits behind it longer than one batch. array(...) makes the pick an InitPlan run once,
// so the delete is a TID scan whatever the planner thinks of the pick.
var pruneStatements = map[string]pruneStatement{
	PruneInbox: {
		delete: `delete from inbox where ctid = any (array(
			select ctid from inbox where received_at < $1 order by received_at limit $2 for update skip locked))`,
		count: `select count(*) from inbox where received_at < $1`,
	},
	PruneFailures: {
		delete: `delete from message_failure where ctid = any (array(
			select ctid from message_failure where last_failed_at < $1 order by last_failed_at limit $2
			for update skip locked))`,
		count: `select count(*) from message_failure where last_failed_at < $1`,
	},
	PruneWebhookEvents: {
		delete: `delete from webhook_event where ctid = any (array(
			select ctid from webhook_event where recorded_at < $1 order by recorded_at limit $2
			for update skip locked))`,
		count: `select count(*) from webhook_event where recorded_at < $1`,
	},
	// Items go by their action's start, so an action and its items share one horizon.
	PruneOpsActionItems: {
		delete: `delete from ops_action_item where ctid = any (array(
			select i.ctid from ops_action_item i join ops_action a using (action_id)
			where a.started_at < $1 order by a.started_at limit $2 for update of i skip locked))`,
		count: `select count(*) from ops_action_item i join ops_action a using (action_id) where a.started_at < $1`,
	},
	// An action goes once its items have (pruned just before it, same horizon): its
	// foreign key would refuse it otherwise, and its audit is never left half deleted.
	PruneOpsActions: {
		delete: `delete from ops_action where ctid = any (array(
			select ctid from ops_action a where started_at < $1
			  and not exists (select 1 from ops_action_item i where i.action_id = a.action_id)
			order by started_at limit $2 for update skip locked))`,
		count: `select count(*) from ops_action where started_at < $1`,
	},
}

// PruneBatch deletes at most limit rows of an operational table (PruneTables) older than
// before, oldest first, in one statement, and returns how many it deleted: fewer than
// limit means none are left (but rows other transactions held). Run it on a pool (each
// batch its own transaction, its locks held only for that statement) or in a caller's
// transaction.
func PruneBatch(ctx context.Context, db DB, table string, before time.Time, limit int) (int64, error) {
	st, ok := pruneStatements[table]
	if !ok {
		return 0, fmt.Errorf("prune %q: not an operational table (want one of %v)", table, PruneTables)
	}
	if limit <= 0 {
		return 0, fmt.Errorf("prune %s: batch size %d: want a positive number", table, limit)
	}
	tag, err := db.Exec(ctx, st.delete, before, limit)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}

// PruneCount counts the rows of an operational table older than before: what pruning
// would delete now (for ops_action, with or without items left).
func PruneCount(ctx context.Context, q Querier, table string, before time.Time) (int64, error) {
	st, ok := pruneStatements[table]
	if !ok {
		return 0, fmt.Errorf("prune %q: not an operational table (want one of %v)", table, PruneTables)
	}
	var n int64
	if err := q.QueryRow(ctx, st.count, before).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s to prune: %w", table, err)
	}
	return n, nil
}
