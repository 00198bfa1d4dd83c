package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// OpsAction is one operator action on the pipeline's work (a DLQ replay or purge, a job
// retry): who, when, why, and with which filter.
type OpsAction struct {
	ActionID, Action, Actor, Reason string
	Queue, TargetQueue              string
	Filter                          map[string]string
}

// OpsItem is one message or job an action touched.
type OpsItem struct {
	ActionID, ItemID, EventID, EventType, NewMessageID string
}

// StartOpsAction records an action before it touches anything.
func StartOpsAction(ctx context.Context, q Querier, a OpsAction) error {
	filter, err := json.Marshal(a.Filter)
	if err != nil {
		return fmt.Errorf("audit %s: %w", a.ActionID, err)
	}
	if a.Filter == nil {
		filter = []byte("{}")
	}
	_, err = q.Exec(ctx, `
		insert into ops_action (action_id, action, actor, reason, queue, target_queue, filter_json)
		values ($1, $2, $3, $4, nullif($5, ''), nullif($6, ''), $7)`,
		a.ActionID, a.Action, a.Actor, a.Reason, a.Queue, a.TargetQueue, string(filter))
	if err != nil {
		return fmt.Errorf("audit %s: %w", a.ActionID, err)
	}
	return nil
}

// RecordOpsItem records one message or job an action touched, as it is touched.
func RecordOpsItem(ctx context.Context, q Querier, it OpsItem) error {
	_, err := q.Exec(ctx, `
		insert into ops_action_item (action_id, item_id, event_id, event_type, new_message_id)
		values ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''))
		on conflict (action_id, item_id) do nothing`,
		it.ActionID, it.ItemID, it.EventID, it.EventType, it.NewMessageID)
	if err != nil {
		return fmt.Errorf("audit %s item %s: %w", it.ActionID, it.ItemID, err)
	}
	return nil
}

// FinishOpsAction records when an action ended and how many items it touched.
func FinishOpsAction(ctx context.Context, q Querier, actionID string) error {
	_, err := q.Exec(ctx, `
		update ops_action set finished_at = now(),
		  items = (select count(*) from ops_action_item where action_id = $1)
		where action_id = $1`, actionID)
	if err != nil {
		return fmt.Errorf("audit %s: %w", actionID, err)
	}
	return nil
}

// LatestFailure returns the recorded failure of a message, or else the latest one of its
// event (a message SQS moved to the DLQ keeps its id; a copy made by a replay does not).
func LatestFailure(ctx context.Context, q Querier, messageID, eventID string) (MessageFailure, bool, error) {
	var f MessageFailure
	err := q.QueryRow(ctx, `
		select message_id, queue, coalesce(event_id, ''), coalesce(event_type, ''), error_class, error_text, receive_count,
		       first_failed_at, last_failed_at
		from message_failure
		where message_id = $1 or ($2 <> '' and event_id = $2)
		order by (message_id = $1) desc, last_failed_at desc limit 1`, messageID, eventID).
		Scan(&f.MessageID, &f.Queue, &f.EventID, &f.EventType, &f.ErrorClass, &f.ErrorText, &f.ReceiveCount, &f.FirstFailedAt, &f.LastFailedAt)
	if err == pgx.ErrNoRows {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("failure of message %s: %w", messageID, err)
	}
	return f, true, nil
}

// JobCount is how many River jobs of a kind are in a state.
type JobCount struct {
	State, Kind string
	Count       int
}

// FailedJobStates are the states of jobs that failed and are not done: discarded (out
// of attempts) and retryable (failing, to be retried). They need someone's attention.
var FailedJobStates = []string{"discarded", "retryable"}

// FailedJobCounts counts the jobs in FailedJobStates by state and kind, for alerts.
// River's client has no count, so this reads river_job directly.
func FailedJobCounts(ctx context.Context, q Querier) ([]JobCount, error) {
	rows, err := q.Query(ctx, `
		select state::text, kind, count(*)::int from river_job
		where state::text = any($1) group by 1, 2 order by 1, 2`, FailedJobStates)
	if err != nil {
		return nil, fmt.Errorf("failed jobs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[JobCount])
}
