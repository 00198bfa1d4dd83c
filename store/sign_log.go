package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignLogRow is one doc_sign_event row exactly as stored: what the evidence anchor
// (evidence_{doc_id}.json) copies and what `doc verify` compares with it.
type SignLogRow struct {
	Seq         *int // nil for rows written before the chain (migration 00008)
	SignEventID string
	DocID       string
	ActorRole   string
	ActorUserID *string
	ActorEmail  *string
	Event       string
	// ProviderPayload is the payload as PostgreSQL writes the jsonb back (its text),
	// which is the text the chain hash covers.
	ProviderPayload string
	PrevHash        *string
	ChainHash       *string
	CreatedAt       time.Time
}

// SignLog returns a document's evidence rows as stored, in chain order (rows from
// before the chain first, by time).
func SignLog(ctx context.Context, q Querier, docID string) ([]SignLogRow, error) {
	rows, err := q.Query(ctx, `
		select seq, sign_event_id, doc_id, actor_role, actor_user_id, actor_email, event, provider_payload::text,
		       prev_hash, chain_hash, created_at
		from doc_sign_event where doc_id = $1
		order by seq nulls first, created_at, sign_event_id`, docID)
	if err != nil {
		return nil, fmt.Errorf("evidence of %s: %w", docID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SignLogRow])
	if err != nil {
		return nil, fmt.Errorf("evidence of %s: %w", docID, err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}

// JobState is a River job's state as `doc verify` reports it.
type JobState struct {
	ID        int64
	State     string
	Attempt   int
	LastError string
}

// LatestDocJob returns the newest River job of a kind that concerns a document (by the
// doc_id in its metadata, see jobmeta), if River still keeps one.
func LatestDocJob(ctx context.Context, q Querier, kind, docID string) (JobState, bool, error) {
	var j JobState
	err := q.QueryRow(ctx, `
		select id, state::text, attempt, coalesce(errors[array_length(errors, 1)]->>'error', '')
		from river_job where kind = $1 and metadata @> jsonb_build_object('doc_id', $2::text)
		order by id desc limit 1`, kind, docID).Scan(&j.ID, &j.State, &j.Attempt, &j.LastError)
	if errors.Is(err, pgx.ErrNoRows) {
		return j, false, nil
	}
	if err != nil {
		return j, false, fmt.Errorf("%s job of %s: %w", kind, docID, err)
	}
	return j, true, nil
}
