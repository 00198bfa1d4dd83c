package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	EnvelopeID                string            // "" until sent
	EnvelopeStatus            string            // none, sent, completed, voided, expired
	EnvelopeProvider          string            // sandbox, docusign, dropboxsign ("" before 00012: sandbox)
	EnvelopeRecipients        map[string]string // role -> the provider's recipient or signature id
	EnvelopeError             string            // the provider's permanent refusal of the send
	SignedS3, SignedSHA256    *string           // the executed copy
	CertS3, CertSHA256        *string           // DocuSign's certificate of completion
	LegalHoldActor            string
	LegalHoldReason           string
}

// docColumns and scanDoc read a Doc; keep them in step.
const docColumns = `doc_id, pack_id, template_id, template_version, variables_filled, signer_map_json, coalesce(clause_ids, '{}'),
	render_pdf_s3, render_pdf_sha256, coalesce(envelope_id, ''), coalesce(envelope_status, 'none'), coalesce(envelope_provider, ''),
	envelope_recipients, coalesce(envelope_error, ''), signed_pdf_s3, signed_pdf_sha256, certificate_pdf_s3, certificate_pdf_sha256,
	coalesce(legal_hold_actor, ''), coalesce(legal_hold_reason, '')`

func scanDoc(row pgx.Row, d *Doc) error {
	var vars, signers, recipients []byte
	if err := row.Scan(&d.DocID, &d.PackID, &d.TemplateID, &d.TemplateVersion, &vars, &signers, &d.ClauseIDs, &d.RenderS3, &d.RenderSHA256,
		&d.EnvelopeID, &d.EnvelopeStatus, &d.EnvelopeProvider, &recipients, &d.EnvelopeError, &d.SignedS3, &d.SignedSHA256,
		&d.CertS3, &d.CertSHA256, &d.LegalHoldActor, &d.LegalHoldReason); err != nil {
		return err
	}
	if err := json.Unmarshal(vars, &d.Variables); err != nil {
		return fmt.Errorf("variables: %w", err)
	}
	if err := json.Unmarshal(signers, &d.Signers); err != nil {
		return fmt.Errorf("signer map: %w", err)
	}
	if len(recipients) > 0 {
		if err := json.Unmarshal(recipients, &d.EnvelopeRecipients); err != nil {
			return fmt.Errorf("envelope recipients: %w", err)
		}
	}
	return nil
}

// DocByID loads a document; ErrNotFound if there is none.
func DocByID(ctx context.Context, q Querier, docID string) (Doc, error) {
	var d Doc
	err := scanDoc(q.QueryRow(ctx, `select `+docColumns+` from doc_instance where doc_id = $1`, docID), &d)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("doc %s: %w", docID, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("doc %s: %w", docID, err)
	}
	return d, nil
}

// DocByEnvelope finds the document of a provider envelope id; found is false when no
// document has it.
func DocByEnvelope(ctx context.Context, q Querier, envelopeID string) (d Doc, found bool, err error) {
	err = scanDoc(q.QueryRow(ctx, `select `+docColumns+` from doc_instance where envelope_id = $1`, envelopeID), &d)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("envelope %s: %w", envelopeID, err)
	}
	return d, true, nil
}

// SignerRole says which of the document's signers acted in a provider event: the role
// the provider named, else the one whose provider id was stored at send, else the one
// with that email. ok is false for someone who is none of our signers.
func (d Doc) SignerRole(role, recipientID, email string) (string, bool) {
	if _, ok := d.Signers[role]; ok && role != "" {
		return role, true
	}
	for r, id := range d.EnvelopeRecipients {
		if id == recipientID && recipientID != "" {
			return r, true
		}
	}
	for r, s := range d.Signers {
		if email != "" && strings.EqualFold(s.Email, email) {
			return r, true
		}
	}
	return "", false
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
func MarkEnvelopeSentTx(ctx context.Context, tx pgx.Tx, docID, provider, envelopeID string, recipients map[string]string) (bool, error) {
	ids, err := json.Marshal(recipients)
	if err != nil {
		return false, fmt.Errorf("envelope recipients of %s: %w", docID, err)
	}
	tag, err := tx.Exec(ctx, `
		update doc_instance set envelope_id = $2, envelope_status = 'sent', envelope_provider = $3, envelope_recipients = $4,
		       envelope_error = null, updated_at = now()
		where doc_id = $1 and coalesce(envelope_status, 'none') = 'none'`, docID, envelopeID, provider, string(ids))
	if err != nil {
		return false, fmt.Errorf("envelope of %s: %w", docID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Render is where a document's PDF is stored, and its SHA-256.
type Render struct{ DocID, S3URI, SHA256 string }

// RecordRenderTx records one document's render (RecordRendersTx).
func RecordRenderTx(ctx context.Context, tx pgx.Tx, docID, s3URI, sha string) error {
	return RecordRendersTx(ctx, tx, []Render{{DocID: docID, S3URI: s3URI, SHA256: sha}})
}

// RecordRendersTx stores where each document's PDF is and its hash, once, in one
// statement (a pack's documents in one round trip). Recording the same values again is
// a no-op; different values are refused (a document is written once).
func RecordRendersTx(ctx context.Context, tx pgx.Tx, renders []Render) error {
	if len(renders) == 0 {
		return nil
	}
	ids, uris, shas := make([]string, len(renders)), make([]string, len(renders)), make([]string, len(renders))
	for i, r := range renders {
		ids[i], uris[i], shas[i] = r.DocID, r.S3URI, r.SHA256
	}
	rows, err := tx.Query(ctx, `
		update doc_instance d set render_pdf_s3 = r.s3, render_pdf_sha256 = r.sha, updated_at = now()
		from unnest($1::text[], $2::text[], $3::text[]) as r(doc_id, s3, sha)
		where d.doc_id = r.doc_id and (d.render_pdf_sha256 is null or (d.render_pdf_sha256 = r.sha and d.render_pdf_s3 = r.s3))
		returning d.doc_id`, ids, uris, shas)
	if err != nil {
		return fmt.Errorf("render of %s: %w", strings.Join(ids, ", "), err)
	}
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("render of %s: %w", strings.Join(ids, ", "), err)
	}
	for _, id := range ids {
		if !slices.Contains(recorded, id) {
			return fmt.Errorf("doc %s already records another render", id)
		}
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

// RecordEnvelopeErrorTx records a provider's permanent refusal to send a document, with
// its own text, where on-call sees it.
func RecordEnvelopeErrorTx(ctx context.Context, tx pgx.Tx, docID, text string) error {
	if _, err := tx.Exec(ctx, `update doc_instance set envelope_error = $2, updated_at = now() where doc_id = $1`, docID, text); err != nil {
		return fmt.Errorf("envelope error of %s: %w", docID, err)
	}
	return nil
}

// ExecutedCopy is where a completed envelope's executed copy (and certificate) is stored.
type ExecutedCopy struct {
	SignedS3, SignedSHA256 string
	CertS3, CertSHA256     string // "" when the provider issues none
}

// RecordExecutedTx records a document's executed copy, once: the same values again are
// a no-op, other values are refused (written once, like the original).
func RecordExecutedTx(ctx context.Context, tx pgx.Tx, docID string, c ExecutedCopy) error {
	tag, err := tx.Exec(ctx, `
		update doc_instance set signed_pdf_s3 = $2, signed_pdf_sha256 = $3, certificate_pdf_s3 = nullif($4, ''),
		       certificate_pdf_sha256 = nullif($5, ''), updated_at = now()
		where doc_id = $1 and (signed_pdf_sha256 is null
		  or (signed_pdf_s3, signed_pdf_sha256) = ($2, $3)
		     and (certificate_pdf_s3, certificate_pdf_sha256) is not distinct from (nullif($4, ''), nullif($5, '')))`,
		docID, c.SignedS3, c.SignedSHA256, c.CertS3, c.CertSHA256)
	if err != nil {
		return fmt.Errorf("executed copy of %s: %w", docID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("doc %s already records another executed copy", docID)
	}
	return nil
}
