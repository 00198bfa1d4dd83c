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

// Doc is a doc_instance row: what it was made from and where it stands.
type Doc struct {
	DocID, PackID, TemplateID string
	TemplateVersion           int
	Variables                 map[string]string
	Signers                   docpack.SignerMap
	ClauseIDs                 []string
	RenderS3, RenderSHA256    *string
	EnvelopeID                string // "" until sent
	EnvelopeStatus            string // none, sent, completed, voided, expired
	LegalHoldActor            string
	LegalHoldReason           string
}

// DocByID loads a document; ErrNotFound if there is none.
func DocByID(ctx context.Context, q Querier, docID string) (Doc, error) {
	var d Doc
	var vars, signers []byte
	err := q.QueryRow(ctx, `
		select doc_id, pack_id, template_id, template_version, variables_filled, signer_map_json, coalesce(clause_ids, '{}'),
		       render_pdf_s3, render_pdf_sha256, coalesce(envelope_id, ''), coalesce(envelope_status, 'none'),
		       coalesce(legal_hold_actor, ''), coalesce(legal_hold_reason, '')
		from doc_instance where doc_id = $1`, docID).
		Scan(&d.DocID, &d.PackID, &d.TemplateID, &d.TemplateVersion, &vars, &signers, &d.ClauseIDs, &d.RenderS3, &d.RenderSHA256,
			&d.EnvelopeID, &d.EnvelopeStatus, &d.LegalHoldActor, &d.LegalHoldReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("doc %s: %w", docID, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("doc %s: %w", docID, err)
	}
	if err := json.Unmarshal(vars, &d.Variables); err != nil {
		return d, fmt.Errorf("doc %s variables: %w", docID, err)
	}
	if err := json.Unmarshal(signers, &d.Signers); err != nil {
		return d, fmt.Errorf("doc %s signer map: %w", docID, err)
	}
	return d, nil
}

// RenderInputs loads what a document is rendered from: its template version's name and
// layout and its clause versions in order, with the document's variables and signers.
func RenderInputs(ctx context.Context, q Querier, d Doc) (docpack.Stored, error) {
	name, layout, err := TemplateVersion(ctx, q, d.TemplateID)
	if err != nil {
		return docpack.Stored{}, err
	}
	clauses, err := ClausesByID(ctx, q, d.ClauseIDs)
	if err != nil {
		return docpack.Stored{}, err
	}
	return docpack.Stored{DocID: d.DocID, TemplateName: name, Layout: layout, Clauses: clauses, Variables: d.Variables, Signers: d.Signers}, nil
}

// VoidedEnvelope is a document whose envelope was voided with its pack.
type VoidedEnvelope struct {
	DocID, EnvelopeID string
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
		returning doc_id, envelope_id`, packID)
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

// CancelLegTx records a leg's cancellation time (the latest one wins).
func CancelLegTx(ctx context.Context, tx pgx.Tx, legID, bookingID string, at time.Time) error {
	_, err := tx.Exec(ctx, `
		insert into booking_leg (leg_id, booking_id, cancelled_at) values ($1, $2, $3)
		on conflict (leg_id) do update set cancelled_at = greatest(booking_leg.cancelled_at, excluded.cancelled_at), updated_at = now()`,
		legID, bookingID, at)
	if err != nil {
		return fmt.Errorf("cancel leg %s: %w", legID, err)
	}
	return nil
}

// LegCancelledAt returns when a leg was cancelled, if it was.
func LegCancelledAt(ctx context.Context, q Querier, legID string) (t time.Time, cancelled bool, err error) {
	var at *time.Time
	err = q.QueryRow(ctx, `select cancelled_at from booking_leg where leg_id = $1`, legID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && at == nil) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("leg %s: %w", legID, err)
	}
	return *at, true, nil
}

// SentDocs returns a pack's documents that have an envelope, by id.
func SentDocs(ctx context.Context, q Querier, packID string) ([]Doc, error) {
	ids, err := PackDocIDs(ctx, q, packID)
	if err != nil {
		return nil, err
	}
	var out []Doc
	for _, id := range ids {
		d, err := DocByID(ctx, q, id)
		if err != nil {
			return nil, err
		}
		if d.EnvelopeID != "" {
			out = append(out, d)
		}
	}
	return out, nil
}
