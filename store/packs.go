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

// NewPack is a pack and its documents as the build job creates them.
type NewPack struct {
	PackID, LegID, BookingID, City, GeneratorVer, SourceEventID string
	Failure                                                     string // set: no documents
	Docs                                                        []NewDoc
}

// NewDoc is one document to create.
type NewDoc struct {
	DocID, TemplateID string
	TemplateVersion   int
	ClauseIDs         []string
	Variables         map[string]string
	Signers           docpack.SignerMap // stored as signer_map_json
}

// CreatePackTx records the leg, and the pack with its documents unless a pack from the
// same source event exists (a retried or replayed build), in which case it returns
// created=false and changes nothing.
func CreatePackTx(ctx context.Context, tx pgx.Tx, p NewPack) (created bool, err error) {
	if _, err := tx.Exec(ctx, `
		insert into booking_leg (leg_id, booking_id, city) values ($1, $2, $3)
		on conflict (leg_id) do update set city = excluded.city, booking_id = excluded.booking_id, updated_at = now()
		where booking_leg.city is distinct from excluded.city`, p.LegID, p.BookingID, p.City); err != nil {
		return false, fmt.Errorf("leg %s: %w", p.LegID, err)
	}
	tag, err := tx.Exec(ctx, `
		insert into doc_pack (pack_id, leg_id, status, generator_ver, city, source_event_id, failure)
		values ($1, $2, 'draft', $3, $4, $5, nullif($6, ''))
		on conflict (source_event_id) do nothing`,
		p.PackID, p.LegID, p.GeneratorVer, p.City, p.SourceEventID, p.Failure)
	if err != nil {
		return false, fmt.Errorf("pack %s for leg %s: %w", p.PackID, p.LegID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	for _, d := range p.Docs {
		vars, _ := json.Marshal(d.Variables)
		signers, err := json.Marshal(d.Signers)
		if err != nil {
			return false, fmt.Errorf("doc %s signer map: %w", d.DocID, err)
		}
		if _, err := tx.Exec(ctx, `
			insert into doc_instance (doc_id, pack_id, template_id, template_version, variables_filled, signer_map_json, clause_ids)
			values ($1, $2, $3, $4, $5, $6, $7)`,
			d.DocID, p.PackID, d.TemplateID, d.TemplateVersion, string(vars), string(signers), d.ClauseIDs); err != nil {
			return false, fmt.Errorf("doc %s: %w", d.DocID, err)
		}
	}
	return true, nil
}

// LivePack returns the leg's live pack (draft, issued or signed), if any.
func LivePack(ctx context.Context, q Querier, legID string) (packID, status string, found bool, err error) {
	err = q.QueryRow(ctx, `select pack_id, status from doc_pack where leg_id = $1 and status in ('draft','issued','signed')`, legID).Scan(&packID, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("live pack of %s: %w", legID, err)
	}
	return packID, status, true, nil
}

// VoidedEnvelope is a document whose envelope was voided with its pack.
type VoidedEnvelope struct {
	DocID, EnvelopeID, Provider string // Provider "" : sent before providers were recorded (the sandbox)
}

// EndPackTx moves a live pack to superseded or voided, and voids the envelopes of its
// documents that were sent and not completed (a completed envelope is signed evidence
// and stays so). It reports false when the pack is not live (already ended).
func EndPackTx(ctx context.Context, tx pgx.Tx, packID, status string) (bool, []VoidedEnvelope, error) {
	if status != "superseded" && status != "voided" {
		return false, nil, fmt.Errorf("end pack %s: status %q", packID, status)
	}
	tag, err := tx.Exec(ctx, `
		update doc_pack set status = $2, updated_at = now()
		where pack_id = $1 and status in ('draft', 'issued', 'signed')`, packID, status)
	if err != nil {
		return false, nil, fmt.Errorf("end pack %s: %w", packID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil, nil
	}
	rows, err := tx.Query(ctx, `
		update doc_instance set envelope_status = 'voided', updated_at = now()
		where pack_id = $1 and envelope_status = 'sent'
		returning doc_id, envelope_id, coalesce(envelope_provider, '')`, packID)
	if err != nil {
		return false, nil, fmt.Errorf("void envelopes of %s: %w", packID, err)
	}
	voided, err := pgx.CollectRows(rows, pgx.RowToStructByPos[VoidedEnvelope])
	if err != nil {
		return false, nil, fmt.Errorf("void envelopes of %s: %w", packID, err)
	}
	return true, voided, nil
}

// PackFromEvent reports whether a pack was built from this event, whatever its status.
func PackFromEvent(ctx context.Context, q Querier, eventID string) (bool, error) {
	var n int
	if err := q.QueryRow(ctx, `select count(*) from doc_pack where source_event_id = $1`, eventID).Scan(&n); err != nil {
		return false, fmt.Errorf("pack of event %s: %w", eventID, err)
	}
	return n > 0, nil
}

// PackEventTime returns when the event that built a pack occurred, if the inbox knows.
func PackEventTime(ctx context.Context, q Querier, packID string) (t time.Time, known bool, err error) {
	err = q.QueryRow(ctx, `
		select i.occurred_at from doc_pack p join inbox i on i.event_id = p.source_event_id
		where p.pack_id = $1`, packID).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("event time of pack %s: %w", packID, err)
	}
	return t, true, nil
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

// Pack is a doc_pack row.
type Pack struct {
	PackID, LegID, Status, SourceEventID, Failure string
	CreatedAt, UpdatedAt                          time.Time
}

// PackByID returns a pack.
func PackByID(ctx context.Context, q Querier, packID string) (Pack, error) {
	var p Pack
	err := q.QueryRow(ctx, `select pack_id, leg_id, status, coalesce(source_event_id, ''), coalesce(failure, ''), created_at, updated_at
		from doc_pack where pack_id = $1`, packID).Scan(&p.PackID, &p.LegID, &p.Status, &p.SourceEventID, &p.Failure, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("pack %s: %w", packID, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("pack %s: %w", packID, err)
	}
	return p, nil
}

// PackIDs returns the packs built from an event or of a leg (one of them set), oldest
// first.
func PackIDs(ctx context.Context, q Querier, sourceEventID, legID string) ([]string, error) {
	rows, err := q.Query(ctx, `select pack_id from doc_pack where ($1 <> '' and source_event_id = $1) or ($2 <> '' and leg_id = $2)
		order by created_at, pack_id`, sourceEventID, legID)
	if err != nil {
		return nil, fmt.Errorf("packs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// SignIfCompletedTx moves an issued pack to signed when every document's envelope is
// completed and its executed copy is stored (the sandbox, and envelopes sent before
// executed copies were kept, have none), and reports whether it did.
func SignIfCompletedTx(ctx context.Context, tx pgx.Tx, packID string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		update doc_pack set status = 'signed', updated_at = now()
		where pack_id = $1 and status = 'issued'
		  and not exists (select 1 from doc_instance where pack_id = $1 and (envelope_status is distinct from 'completed'
		      or signed_pdf_sha256 is null and coalesce(envelope_provider, 'sandbox') <> 'sandbox'))`, packID)
	if err != nil {
		return false, fmt.Errorf("sign pack %s: %w", packID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// StuckPack is a pack that has not moved on as it should: still draft (its documents
// not all rendered) or issued and unsigned, since Since.
type StuckPack struct {
	PackID, LegID, Status string
	Since                 time.Time
}

// StuckPacks returns the packs draft since before draftBefore or issued since before
// issuedBefore, oldest first. A pack that failed its plan (failure set) is not stuck: it
// has nothing to render, and its failure was recorded.
func StuckPacks(ctx context.Context, q Querier, draftBefore, issuedBefore time.Time) ([]StuckPack, error) {
	rows, err := q.Query(ctx, `
		select pack_id, leg_id, status, case status when 'draft' then created_at else updated_at end
		from doc_pack
		where (status = 'draft' and failure is null and created_at < $1) or (status = 'issued' and updated_at < $2)
		order by 4, 1`, draftBefore, issuedBefore)
	if err != nil {
		return nil, fmt.Errorf("stuck packs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[StuckPack])
}

// StuckEnvelopes counts, by provider, the envelopes still sent since before sentBefore
// (when their envelope_sent evidence row was written): past the provider's expiry.
func StuckEnvelopes(ctx context.Context, q Querier, sentBefore time.Time) (map[string]int, error) {
	rows, err := q.Query(ctx, `
		select coalesce(d.envelope_provider, 'sandbox'), count(*)::int from doc_instance d
		where d.envelope_status = 'sent'
		  and (select min(e.created_at) from doc_sign_event e where e.doc_id = d.doc_id and e.event = 'envelope_sent') < $1
		group by 1`, sentBefore)
	if err != nil {
		return nil, fmt.Errorf("stuck envelopes: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("stuck envelopes: %w", err)
		}
		out[p] = n
	}
	return out, rows.Err()
}
