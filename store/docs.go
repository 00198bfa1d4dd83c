package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"trustdocs/docpack"
)

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
