package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"trustdocs/docpack"
)

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

// EnvelopeDoc is the document an envelope belongs to.
type EnvelopeDoc struct {
	DocID, PackID, Status string
	Signers               docpack.SignerMap
}

// DocByEnvelope finds the document of a provider envelope id.
func DocByEnvelope(ctx context.Context, q Querier, envelopeID string) (EnvelopeDoc, bool, error) {
	var d EnvelopeDoc
	var signers []byte
	err := q.QueryRow(ctx, `select doc_id, pack_id, coalesce(envelope_status, 'none'), signer_map_json from doc_instance where envelope_id = $1`, envelopeID).
		Scan(&d.DocID, &d.PackID, &d.Status, &signers)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("envelope %s: %w", envelopeID, err)
	}
	if err := json.Unmarshal(signers, &d.Signers); err != nil {
		return d, false, fmt.Errorf("envelope %s signers: %w", envelopeID, err)
	}
	return d, true, nil
}

// AdvanceEnvelopeTx sets a document's envelope status if the new one ranks higher
// (rank: none < sent < completed|voided|expired); it reports whether it moved.
func AdvanceEnvelopeTx(ctx context.Context, tx pgx.Tx, docID, status string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		update doc_instance set envelope_status = $2, updated_at = now()
		where doc_id = $1 and (case coalesce(envelope_status, 'none') when 'none' then 0 when 'sent' then 1 else 2 end)
		                    < (case $2 when 'none' then 0 when 'sent' then 1 else 2 end)`, docID, status)
	if err != nil {
		return false, fmt.Errorf("envelope of %s: %w", docID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SignIfCompletedTx moves an issued pack to signed when every document's envelope is
// completed, and reports whether it did.
func SignIfCompletedTx(ctx context.Context, tx pgx.Tx, packID string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		update doc_pack set status = 'signed', updated_at = now()
		where pack_id = $1 and status = 'issued'
		  and not exists (select 1 from doc_instance where pack_id = $1 and envelope_status is distinct from 'completed')`, packID)
	if err != nil {
		return false, fmt.Errorf("sign pack %s: %w", packID, err)
	}
	return tag.RowsAffected() == 1, nil
}
