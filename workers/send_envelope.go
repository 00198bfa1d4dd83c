package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/content"
	"trustdocs/esign"
	"trustdocs/store"
)

// SendEnvelopeArgs sends one stored document for signature.
type SendEnvelopeArgs struct {
	DocID string `json:"doc_id"`
}

func (SendEnvelopeArgs) Kind() string { return "send_envelope" }

func (SendEnvelopeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDocs, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SendEnvelopeWorker asks the provider for an envelope (the same document always gets
// the same one), writes envelope_{doc_id}.json next to the PDF, and in one transaction
// marks the document sent and appends the envelope_sent evidence row.
type SendEnvelopeWorker struct {
	river.WorkerDefaults[SendEnvelopeArgs]
	deps *Deps
}

func (w *SendEnvelopeWorker) Work(ctx context.Context, job *river.Job[SendEnvelopeArgs]) error {
	d, err := store.DocForRender(ctx, w.deps.Pool, job.Args.DocID)
	if err != nil {
		return err
	}
	if d.RenderSHA256 == nil {
		return river.JobSnooze(5 * time.Second) // the render job inserts this one after storing the PDF; only a replay lands here
	}
	var signers map[string]esign.Recipient
	if err := json.Unmarshal(d.SignerMap, &signers); err != nil {
		return river.JobCancel(fmt.Errorf("doc %s signer map: %w", d.DocID, err))
	}
	keys := store.KeysFor(w.deps.DocsEnv, d.PackID, d.DocID, 1)
	env := esign.Envelope{DocID: d.DocID, PackID: d.PackID, PDFKey: keys.PDF, PDFSHA256: *d.RenderSHA256,
		Recipients: esign.RecipientsFrom(signers, content.SignerRoles)}
	envelopeID, err := w.deps.ESign.Send(ctx, env)
	if err != nil {
		return fmt.Errorf("send %s: %w", d.DocID, err)
	}
	meta, _ := json.MarshalIndent(struct {
		Provider   string `json:"provider"`
		EnvelopeID string `json:"envelope_id"`
		esign.Envelope
	}{w.deps.ESign.Name(), envelopeID, env}, "", "  ")
	if _, err := store.PutOnce(ctx, w.deps.S3, w.deps.DocsBucket, keys.Envelope, "application/json", meta); err != nil {
		return err
	}

	tx, err := w.deps.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
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
	return completeTx(ctx, tx, job)
}
