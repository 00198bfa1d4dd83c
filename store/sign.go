package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SignEvent is one row of the evidence log (doc_sign_event): appended, never updated.
type SignEvent struct {
	SignEventID, DocID, ActorRole, ActorUserID, ActorEmail, Event string
	ProviderPayload                                               []byte // raw JSON, kept as received
}

// signHash is the chain hash of a doc_sign_event row, computed by PostgreSQL over the
// row's stored text (jsonb normalises the payload), so the verifier recomputes exactly
// what was hashed. $1 previous hash, then the row's columns.
const signHash = `encode(sha256(convert_to(concat_ws('|', coalesce($1::text, ''), $2::text, $3::text, $4::text,
	coalesce($5::text, ''), coalesce($6::text, ''), $7::text, ($8::jsonb)::text), 'UTF8')), 'hex')`

// AppendSignEventTx appends an evidence row chained to the document's previous row; the
// same sign_event_id again (a retry or a duplicated delivery) is a no-op. It reports
// whether the row is new. The document's row is locked first, so appends to one
// document are serialized and the chain has no forks.
func AppendSignEventTx(ctx context.Context, tx pgx.Tx, e SignEvent) (bool, error) {
	if _, err := tx.Exec(ctx, `select 1 from doc_instance where doc_id = $1 for update`, e.DocID); err != nil {
		return false, fmt.Errorf("lock doc %s: %w", e.DocID, err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `select exists (select 1 from doc_sign_event where sign_event_id = $1)`, e.SignEventID).Scan(&exists); err != nil {
		return false, fmt.Errorf("sign event %s: %w", e.SignEventID, err)
	}
	if exists {
		return false, nil
	}
	var prev *string
	var seq int
	err := tx.QueryRow(ctx, `select chain_hash, seq from doc_sign_event where doc_id = $1 order by seq desc limit 1`, e.DocID).Scan(&prev, &seq)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("chain of %s: %w", e.DocID, err)
	}
	_, err = tx.Exec(ctx, `
		insert into doc_sign_event (sign_event_id, doc_id, actor_role, actor_user_id, actor_email, event, provider_payload,
		                            prev_hash, chain_hash, seq)
		values ($2, $3, $4, nullif($5, ''), nullif($6, ''), $7, $8, $1, `+signHash+`, $9)`,
		prev, e.SignEventID, e.DocID, e.ActorRole, e.ActorUserID, e.ActorEmail, e.Event, string(e.ProviderPayload), seq+1)
	if err != nil {
		return false, fmt.Errorf("sign event %s of %s: %w", e.Event, e.DocID, err)
	}
	return true, nil
}

// ChainBreak is a row whose stored hash does not match its content and predecessor.
type ChainBreak struct {
	Seq         int
	SignEventID string
}

// VerifySignChain recomputes every chain hash of a document's evidence log and returns
// the rows that do not match (empty: intact) and how many chained rows there are. Rows
// written before the chain existed (migration 00008) carry no hash and are not counted.
func VerifySignChain(ctx context.Context, q Querier, docID string) ([]ChainBreak, int, error) {
	rows, err := q.Query(ctx, `
		with r as (
		  select seq, sign_event_id, doc_id, actor_role, actor_user_id, actor_email, event, provider_payload, prev_hash, chain_hash,
		         lag(chain_hash) over (order by seq) as expected_prev, row_number() over (order by seq) as n
		  from doc_sign_event where doc_id = $1 and seq is not null)
		select seq, sign_event_id,
		       prev_hash is not distinct from expected_prev and seq = n
		       and chain_hash = encode(sha256(convert_to(concat_ws('|', coalesce(expected_prev, ''), sign_event_id, doc_id, actor_role,
		           coalesce(actor_user_id, ''), coalesce(actor_email, ''), event, provider_payload::text), 'UTF8')), 'hex')
		from r order by seq`, docID)
	if err != nil {
		return nil, 0, fmt.Errorf("chain of %s: %w", docID, err)
	}
	var breaks []ChainBreak
	n := 0
	for rows.Next() {
		var b ChainBreak
		var ok bool
		if err := rows.Scan(&b.Seq, &b.SignEventID, &ok); err != nil {
			return nil, 0, fmt.Errorf("chain of %s: %w", docID, err)
		}
		n++
		if !ok {
			breaks = append(breaks, b)
		}
	}
	return breaks, n, rows.Err()
}

// MarkEnvelopeSentTx records the envelope of a document that had none. It reports false
// when the document already has an envelope (status moves only forward).
func MarkEnvelopeSentTx(ctx context.Context, tx pgx.Tx, docID, envelopeID string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		update doc_instance set envelope_id = $2, envelope_status = 'sent', updated_at = now()
		where doc_id = $1 and coalesce(envelope_status, 'none') = 'none'`, docID, envelopeID)
	if err != nil {
		return false, fmt.Errorf("envelope of %s: %w", docID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordRenderTx stores where a document's PDF is and its hash, once. A second call with
// the same values is a no-op; different values are refused (a document is written once).
func RecordRenderTx(ctx context.Context, tx pgx.Tx, docID, s3URI, sha string) error {
	tag, err := tx.Exec(ctx, `
		update doc_instance set render_pdf_s3 = $2, render_pdf_sha256 = $3, updated_at = now()
		where doc_id = $1 and (render_pdf_sha256 is null or (render_pdf_sha256 = $3 and render_pdf_s3 = $2))`,
		docID, s3URI, sha)
	if err != nil {
		return fmt.Errorf("render of %s: %w", docID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("doc %s already records another render", docID)
	}
	return nil
}

// IssueIfRenderedTx moves a draft pack to issued when every document has its PDF, and
// reports whether it did (only the call that completes the pack sees true).
func IssueIfRenderedTx(ctx context.Context, tx pgx.Tx, packID string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		update doc_pack set status = 'issued', updated_at = now()
		where pack_id = $1 and status = 'draft' and failure is null
		  and not exists (select 1 from doc_instance where pack_id = $1 and render_pdf_sha256 is null)
		  and exists (select 1 from doc_instance where pack_id = $1)`, packID)
	if err != nil {
		return false, fmt.Errorf("issue pack %s: %w", packID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// PackDocIDs lists a pack's documents.
func PackDocIDs(ctx context.Context, q Querier, packID string) ([]string, error) {
	rows, err := q.Query(ctx, `select doc_id from doc_instance where pack_id = $1 order by doc_id`, packID)
	if err != nil {
		return nil, fmt.Errorf("docs of %s: %w", packID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// LockPackTx takes the pack's row lock for the rest of the transaction. Render jobs of
// one pack take it before recording their document, so the last one to commit sees all
// the others and issues the pack (without it two concurrent last renders could each
// see the other unfinished and neither issue the pack).
func LockPackTx(ctx context.Context, tx pgx.Tx, packID string) (status string, err error) {
	if err := tx.QueryRow(ctx, `select status from doc_pack where pack_id = $1 for update`, packID).Scan(&status); err != nil {
		return "", fmt.Errorf("lock pack %s: %w", packID, err)
	}
	return status, nil
}

// RecordLegalHoldTx records a document's legal hold state, who set it and why.
func RecordLegalHoldTx(ctx context.Context, tx pgx.Tx, docID string, on bool, actor, reason string) error {
	tag, err := tx.Exec(ctx, `
		update doc_instance set legal_hold = $2, legal_hold_actor = $3, legal_hold_reason = $4, legal_hold_at = now(), updated_at = now()
		where doc_id = $1`, docID, on, actor, reason)
	if err != nil {
		return fmt.Errorf("legal hold of %s: %w", docID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("doc %s not found", docID)
	}
	return nil
}

// CountSignEvents counts a document's evidence rows of one event (e.g. signed).
func CountSignEvents(ctx context.Context, q Querier, docID, event string) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `select count(*) from doc_sign_event where doc_id = $1 and event = $2`, docID, event).Scan(&n); err != nil {
		return 0, fmt.Errorf("sign events of %s: %w", docID, err)
	}
	return n, nil
}
