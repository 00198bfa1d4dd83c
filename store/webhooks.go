package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebhookRow is one recorded provider event.
type WebhookRow struct {
	DedupeKey, Provider, EventType, ReceiptID, Outcome string
	ReceivedAt, RecordedAt                             time.Time
}

// WebhooksOf returns the provider events recorded for a subject (a document or a user).
func WebhooksOf(ctx context.Context, q Querier, subject string) ([]WebhookRow, error) {
	rows, err := q.Query(ctx, `select dedupe_key, provider, event_type, receipt_id, outcome, received_at, recorded_at
		from webhook_event where subject = $1 order by recorded_at`, subject)
	if err != nil {
		return nil, fmt.Errorf("webhook events of %s: %w", subject, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[WebhookRow])
}

// WebhookSeen reports whether a provider event with this dedupe key was recorded.
func WebhookSeen(ctx context.Context, q Querier, dedupeKey string) (bool, error) {
	var seen bool
	if err := q.QueryRow(ctx, `select exists (select 1 from webhook_event where dedupe_key = $1)`, dedupeKey).Scan(&seen); err != nil {
		return false, fmt.Errorf("webhook %s: %w", dedupeKey, err)
	}
	return seen, nil
}

// RecordWebhookTx records a provider event once, with what was done with it.
func RecordWebhookTx(ctx context.Context, tx pgx.Tx, dedupeKey, provider, eventType, receiptID, outcome, subject string, receivedAt time.Time) error {
	_, err := tx.Exec(ctx, `
		insert into webhook_event (dedupe_key, provider, event_type, receipt_id, outcome, subject, received_at)
		values ($1, $2, $3, $4, $5, nullif($6, ''), $7) on conflict (dedupe_key) do nothing`,
		dedupeKey, provider, eventType, receiptID, outcome, subject, receivedAt)
	if err != nil {
		return fmt.Errorf("record webhook %s: %w", dedupeKey, err)
	}
	return nil
}
