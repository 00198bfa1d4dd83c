package store

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// CountSignEvents counts a document's evidence rows of one event (e.g. signed).
func CountSignEvents(ctx context.Context, q Querier, docID, event string) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `select count(*) from doc_sign_event where doc_id = $1 and event = $2`, docID, event).Scan(&n); err != nil {
		return 0, fmt.Errorf("sign events of %s: %w", docID, err)
	}
	return n, nil
}

// SignEventRow is one evidence row as the trace shows it.
type SignEventRow struct {
	SignEventID, DocID, Event, ActorRole, ActorUserID string
	Seq                                               *int
	CreatedAt                                         time.Time
}

// SignEventsOf returns the evidence rows of a document, or signed by a user (one of them
// set), in chain order.
func SignEventsOf(ctx context.Context, q Querier, docID, actorUserID string) ([]SignEventRow, error) {
	rows, err := q.Query(ctx, `select sign_event_id, doc_id, event, actor_role, coalesce(actor_user_id, ''), seq, created_at
		from doc_sign_event where ($1 <> '' and doc_id = $1) or ($2 <> '' and actor_user_id = $2)
		order by doc_id, seq nulls first, created_at`, docID, actorUserID)
	if err != nil {
		return nil, fmt.Errorf("sign events: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SignEventRow])
}
