package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

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
	if errors.Is(err, pgx.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("failure of message %s: %w", messageID, err)
	}
	return f, true, nil
}

// InboxEntry is one accepted event, as the consumer records it.
type InboxEntry struct {
	EventID, Type, Source, Queue, MessageID string
	OccurredAt                              time.Time
}

// InsertInboxTx records entries and returns the event ids that are new; ids already in
// the inbox (or repeated within entries) are skipped. Run it in the transaction that
// inserts the events' jobs: a concurrent insert of the same id waits for the other
// transaction and then skips, so one event gets one set of jobs.
func InsertInboxTx(ctx context.Context, tx pgx.Tx, entries []InboxEntry) (map[string]bool, error) {
	n := len(entries)
	ids, types, sources, queues, msgs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	occurred := make([]time.Time, n)
	for i, e := range entries {
		ids[i], types[i], sources[i], queues[i], msgs[i], occurred[i] = e.EventID, e.Type, e.Source, e.Queue, e.MessageID, e.OccurredAt
	}
	rows, err := tx.Query(ctx, `
		insert into inbox (event_id, type, source, queue, message_id, occurred_at)
		select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
		on conflict (event_id) do nothing
		returning event_id`, ids, types, sources, queues, msgs, occurred)
	if err != nil {
		return nil, fmt.Errorf("insert inbox: %w", err)
	}
	fresh := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("insert inbox: %w", err)
		}
		fresh[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert inbox: %w", err)
	}
	return fresh, nil
}

// MessageFailure is the recorded last error of a message that failed transiently.
type MessageFailure struct {
	MessageID, Queue, EventID, EventType, ErrorClass, ErrorText string
	ReceiveCount                                                int
	FirstFailedAt, LastFailedAt                                 time.Time
}

// RecordFailure upserts a message's last transient error and returns when it first
// failed.
func RecordFailure(ctx context.Context, q Querier, f MessageFailure) (time.Time, error) {
	var first time.Time
	err := q.QueryRow(ctx, `
		insert into message_failure (message_id, queue, event_id, event_type, error_class, error_text, receive_count)
		values ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6, $7)
		on conflict (message_id) do update set
		  error_class = excluded.error_class, error_text = excluded.error_text,
		  receive_count = excluded.receive_count, last_failed_at = now(),
		  event_id = coalesce(excluded.event_id, message_failure.event_id),
		  event_type = coalesce(excluded.event_type, message_failure.event_type)
		returning first_failed_at`,
		f.MessageID, f.Queue, f.EventID, f.EventType, f.ErrorClass, f.ErrorText, f.ReceiveCount).Scan(&first)
	if err != nil {
		return first, fmt.Errorf("record failure of message %s: %w", f.MessageID, err)
	}
	return first, nil
}

// FirstFailure returns when a message first failed, if it ever did.
func FirstFailure(ctx context.Context, q Querier, messageID string) (time.Time, bool, error) {
	var first time.Time
	err := q.QueryRow(ctx, `select first_failed_at from message_failure where message_id = $1`, messageID).Scan(&first)
	if errors.Is(err, pgx.ErrNoRows) {
		return first, false, nil
	}
	if err != nil {
		return first, false, fmt.Errorf("read failure of message %s: %w", messageID, err)
	}
	return first, true, nil
}

// InboxRow is an event's inbox row.
type InboxRow struct {
	Type, Source, Queue, MessageID string
	OccurredAt, ReceivedAt         time.Time
}

// InboxRows returns the inbox rows of an event (one, or none).
func InboxRows(ctx context.Context, q Querier, eventID string) ([]InboxRow, error) {
	rows, err := q.Query(ctx, `select type, source, queue, message_id, occurred_at, received_at from inbox where event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("inbox %s: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[InboxRow])
}

// FailuresOfEvent returns the recorded failures of an event's messages.
func FailuresOfEvent(ctx context.Context, q Querier, eventID string) ([]MessageFailure, error) {
	rows, err := q.Query(ctx, `select message_id, queue, coalesce(event_id, ''), coalesce(event_type, ''), error_class, error_text,
		receive_count, first_failed_at, last_failed_at from message_failure where event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("failures of %s: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[MessageFailure])
}
