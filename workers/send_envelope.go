package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/content"
	"trustdocs/docpack"
	"trustdocs/esign"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// SendEnvelopeArgs sends one stored document for signature.
type SendEnvelopeArgs struct {
	DocID string `json:"doc_id"`
}

func (SendEnvelopeArgs) Kind() string { return "send_envelope" }

func (a SendEnvelopeArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{DocID: a.DocID} }

func (SendEnvelopeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDocs, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SendEnvelopeWorker asks the provider for an envelope (the same document always gets
// the same one), writes envelope_{doc_id}.json next to the PDF, and in one transaction
// marks the document sent and appends the envelope_sent evidence row.
//
// Only an issued pack's documents go out: a pack voided or superseded before its send
// jobs ran sends nothing, and one that ended while the envelope was being created (its
// end could not void an envelope it did not know) has that envelope voided here, on the
// record, as the end would have.
type SendEnvelopeWorker struct {
	river.WorkerDefaults[SendEnvelopeArgs]
	deps *Deps
}

func (w *SendEnvelopeWorker) Work(ctx context.Context, job *river.Job[SendEnvelopeArgs]) error {
	d, err := store.DocByID(ctx, w.deps.DB, job.Args.DocID)
	if err != nil {
		return err
	}
	if d.RenderSHA256 == nil {
		return river.JobSnooze(5 * time.Second) // the render job inserts this one after storing the PDF; only a replay lands here
	}
	log := w.deps.Log.With().Str("doc_id", d.DocID).Str("pack_id", d.PackID).Str("provider", w.deps.ESign.Name()).Int64("job_id", job.ID).Logger()
	if p, err := store.PackByID(ctx, w.deps.DB, d.PackID); err != nil {
		return err
	} else if p.Status != "issued" {
		log.Warn().Str("pack_status", p.Status).Msg("pack is not issued: envelope not sent")
		return store.InTx(ctx, w.deps.DB, func(tx store.Tx) error { return completeOnlyTx(ctx, tx, job) })
	}
	env, err := w.envelope(ctx, d)
	if err != nil {
		return err
	}
	sent, err := w.deps.ESign.Send(ctx, env)
	if err != nil {
		if esign.IsPermanent(err) {
			// The provider refused this document as it is: retrying cannot help. Keep its
			// words where on-call looks (trace, jobs list) and stop.
			log.Error().Err(err).Msg("provider refused the envelope")
			if rerr := store.InTx(ctx, w.deps.DB, func(tx store.Tx) error { return store.RecordEnvelopeErrorTx(ctx, tx, d.DocID, err.Error()) }); rerr != nil {
				return rerr
			}
			return river.JobCancel(fmt.Errorf("send %s: %w", d.DocID, err))
		}
		return fmt.Errorf("send %s: %w", d.DocID, err)
	}
	envelopeID := sent.EnvelopeID
	meta, _ := json.MarshalIndent(struct {
		Provider string `json:"provider"`
		esign.Sent
		esign.Envelope
	}{w.deps.ESign.Name(), sent, env}, "", "  ")
	if _, err := w.deps.Docs.PutOnce(ctx, w.deps.Docs.Keys(d.PackID, d.DocID, 1).Envelope, "application/json", meta); err != nil {
		return err
	}

	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// Pack first, then document: the order every pack job locks in.
	status, err := store.LockPackTx(ctx, tx, d.PackID)
	if err != nil {
		return err
	}
	if _, err := store.MarkEnvelopeSentTx(ctx, tx, d.DocID, w.deps.ESign.Name(), envelopeID, sent.RecipientIDs); err != nil {
		return err
	}
	if _, err := store.AppendSignEventTx(ctx, tx, store.SignEvent{
		SignEventID: "dse_" + shortHash(d.DocID+"\x00envelope_sent\x00"+envelopeID), DocID: d.DocID,
		ActorRole: "system", // no person acts: the pipeline sent the envelope
		Event:     "envelope_sent", ProviderPayload: meta,
	}); err != nil {
		return err
	}
	if status != "issued" {
		// The pack ended while the envelope was being created: void it now. Voiding is
		// idempotent at the provider, so a rolled-back attempt that voided is harmless.
		reason := "pack " + status
		if err := w.deps.ESign.Void(ctx, envelopeID, reason); err != nil {
			return fmt.Errorf("void envelope %s: %w", envelopeID, err)
		}
		if _, err := store.AdvanceEnvelopeTx(ctx, tx, d.DocID, "voided"); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]string{"envelope_id": envelopeID, "reason": reason})
		if _, err := store.AppendSignEventTx(ctx, tx, store.SignEvent{
			SignEventID: "dse_" + shortHash(d.DocID+"\x00voided\x00"+envelopeID), DocID: d.DocID,
			ActorRole: "system", Event: "voided", ProviderPayload: payload,
		}); err != nil {
			return err
		}
		if err := anchorEvidenceTx(ctx, tx, d.DocID); err != nil {
			return err
		}
		log.Warn().Str("pack_status", status).Str("envelope_id", envelopeID).Msg("pack ended while sending: envelope voided")
	}
	return completeTx(ctx, tx, job)
}

// envelope is what goes to the provider: the locked PDF read back from S3 (exactly the
// bytes whose SHA-256 is recorded), the signers in routing order, and a signature field
// for each where the renderer drew their signature block.
func (w *SendEnvelopeWorker) envelope(ctx context.Context, d store.Doc) (esign.Envelope, error) {
	keys := w.deps.Docs.Keys(d.PackID, d.DocID, 1)
	pdf, err := w.deps.Docs.Get(ctx, keys.PDF)
	if err != nil {
		return esign.Envelope{}, err
	}
	if sum := sha256.Sum256(pdf); hex.EncodeToString(sum[:]) != *d.RenderSHA256 {
		// The stored document is not the one recorded: never send it. On-call compares
		// with `pipelinectl doc verify`.
		return esign.Envelope{}, river.JobCancel(fmt.Errorf("%s: sha256 %x, recorded %s: the stored PDF is not the recorded one",
			keys.PDF, sum, *d.RenderSHA256))
	}
	in, err := store.RenderInputs(ctx, w.deps.DB, d)
	if err != nil {
		return esign.Envelope{}, err
	}
	_, placed, err := docpack.RenderWithFields(in)
	if err != nil {
		return esign.Envelope{}, river.JobCancel(err)
	}
	fields := make([]esign.Field, 0, len(placed))
	for _, f := range placed {
		fields = append(fields, esign.Field{Role: f.Role, Page: f.Page, X: f.X, Y: f.Y, W: f.W, H: f.H})
	}
	return esign.Envelope{DocID: d.DocID, PackID: d.PackID, Title: in.TemplateName, PDFKey: keys.PDF, PDFSHA256: *d.RenderSHA256,
		PDF: pdf, Recipients: esign.RecipientsFrom(d.Signers, content.SignerRoles), Fields: fields}, nil
}
