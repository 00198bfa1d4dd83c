package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/content"
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
	log := w.deps.Log.With().Str("doc_id", d.DocID).Str("pack_id", d.PackID).Int64("job_id", job.ID).Logger()
	if p, err := store.PackByID(ctx, w.deps.DB, d.PackID); err != nil {
		return err
	} else if p.Status != "issued" {
		log.Warn().Str("pack_status", p.Status).Msg("pack is not issued: envelope not sent")
		return store.InTx(ctx, w.deps.DB, func(tx store.Tx) error { return completeOnlyTx(ctx, tx, job) })
	}
	keys := w.deps.Docs.Keys(d.PackID, d.DocID, 1)
	env := esign.Envelope{DocID: d.DocID, PackID: d.PackID, PDFKey: keys.PDF, PDFSHA256: *d.RenderSHA256,
		Recipients: esign.RecipientsFrom(d.Signers, content.SignerRoles)}
	sent, err := w.deps.ESign.Send(ctx, env)
	if err != nil {
		return fmt.Errorf("send %s: %w", d.DocID, err)
	}
	envelopeID := sent.EnvelopeID
	meta, _ := json.MarshalIndent(struct {
		Provider   string `json:"provider"`
		EnvelopeID string `json:"envelope_id"`
		esign.Envelope
	}{w.deps.ESign.Name(), envelopeID, env}, "", "  ")
	if _, err := w.deps.Docs.PutOnce(ctx, keys.Envelope, "application/json", meta); err != nil {
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
	if _, err := store.MarkEnvelopeSentTx(ctx, tx, d.DocID, envelopeID); err != nil {
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
		log.Warn().Str("pack_status", status).Str("envelope_id", envelopeID).Msg("pack ended while sending: envelope voided")
	}
	return completeTx(ctx, tx, job)
}
