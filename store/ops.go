package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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

// OpsEntry is one message of an event an operator action touched.
type OpsEntry struct {
	ActionID, Action, Actor, Reason, Queue, ItemID, NewMessageID string
	DoneAt                                                       time.Time
}

// OpsOfEvent returns the operator actions (replays, purges) on an event's messages.
func OpsOfEvent(ctx context.Context, q Querier, eventID string) ([]OpsEntry, error) {
	rows, err := q.Query(ctx, `select a.action_id, a.action, a.actor, a.reason, coalesce(a.queue, ''), i.item_id,
		coalesce(i.new_message_id, ''), i.done_at
		from ops_action_item i join ops_action a using (action_id) where i.event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("replays of %s: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OpsEntry])
}
