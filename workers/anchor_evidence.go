package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"trustdocs/docstore"
	"trustdocs/evidence"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// AnchorEvidenceArgs anchors one document's evidence log in the Object Lock bucket once
// its envelope has ended.
type AnchorEvidenceArgs struct {
	DocID string `json:"doc_id"`
}

func (AnchorEvidenceArgs) Kind() string { return evidence.AnchorJobKind }

func (a AnchorEvidenceArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{DocID: a.DocID} }

// Unique by document while it waits, runs or is kept completed: a replayed terminal
// event, or two ends racing (a void and a completion), anchor once.
func (AnchorEvidenceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDocs, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// anchorEvidenceTx queues the anchor of a document's evidence, in the transaction that
// records its envelope's end (completed, voided — a decline included — or expired), so
// the anchor is queued if and only if the end committed. Every place that ends an
// envelope calls it: handle_webhook (the provider's completion, void, decline or
// expiry) and end_doc_pack (the pack's voids); send_envelope's void of an envelope
// created while its pack ended is a third place and must call it too. (store_executed_copy ends
// nothing: the completion it follows was recorded, and anchored, by handle_webhook.) A
// document ended by a path that queued none shows as "missing" in `doc verify`, and
// `pipelinectl doc anchor` queues it.
func anchorEvidenceTx(ctx context.Context, tx store.Tx, docID string) error {
	if _, err := river.ClientFromContext[store.Tx](ctx).InsertTx(ctx, tx, AnchorEvidenceArgs{DocID: docID}, nil); err != nil {
		return fmt.Errorf("queue the evidence anchor of %s: %w", docID, err)
	}
	return nil
}

// AnchorEvidenceWorker copies the document's doc_sign_event rows, as stored and with
// their chain hashes, to evidence_{doc_id}.json beside its PDF, write-once (If-None-Match)
// under the bucket's default retention: from then on a chain rewritten in PostgreSQL,
// hashes recomputed and all, no longer matches the anchor (`doc verify`).
//
// On a retry or a replay the anchor may exist already: the job then checks that the
// database still holds every anchored row as anchored (rows added since, from provider
// events delivered after the end, are fine) and completes; a database that no longer
// matches cancels the job with the first row that differs, for on-call to see.
type AnchorEvidenceWorker struct {
	river.WorkerDefaults[AnchorEvidenceArgs]
	deps *Deps
}

func (w *AnchorEvidenceWorker) Work(ctx context.Context, job *river.Job[AnchorEvidenceArgs]) error {
	d, err := store.DocByID(ctx, w.deps.DB, job.Args.DocID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return river.JobCancel(err)
		}
		return err
	}
	if !evidence.Terminal(d.EnvelopeStatus) {
		// Only inserted where an end commits, so only a job inserted by hand lands here.
		return river.JobCancel(fmt.Errorf("doc %s: the envelope is %s: evidence is anchored once it has ended", d.DocID, d.EnvelopeStatus))
	}
	log := w.deps.Log.With().Str("doc_id", d.DocID).Str("pack_id", d.PackID).Int64("job_id", job.ID).Logger()
	key := w.deps.Docs.Keys(d.PackID, d.DocID, 1).Evidence
	rows, err := store.SignLog(ctx, w.deps.DB, d.DocID)
	if err != nil {
		return err
	}
	// Two rounds at most: a put that finds another writer's anchor at the key compares
	// with it, as a retry would.
	for range 2 {
		existing, err := w.deps.Docs.Get(ctx, key)
		switch {
		case err == nil:
			a, perr := evidence.ParseAnchor(existing)
			if perr != nil {
				return river.JobCancel(fmt.Errorf("%s: %w", w.deps.Docs.URI(key), perr))
			}
			diffs, after := evidence.CompareAnchor(a, rows)
			if len(diffs) > 0 {
				log.Error().Str("anchor", key).Str("difference", diffs[0].String()).Msg("evidence no longer matches its anchor")
				return river.JobCancel(fmt.Errorf("evidence of %s no longer matches its anchor %s: %s (%d of %d anchored rows differ)",
					d.DocID, w.deps.Docs.URI(key), diffs[0], len(diffs), len(a.Events)))
			}
			return river.RecordOutput(ctx, anchorOutput{Key: key, Rows: len(a.Events), Head: a.Head(), After: len(after), Outcome: "already_anchored"})
		case !errors.Is(err, docstore.ErrNoObject):
			return err
		}
		a := evidence.NewAnchor(d, rows)
		sum, err := w.deps.Docs.PutOnce(ctx, key, "application/json", a.JSON())
		if errors.Is(err, docstore.ErrObjectConflict) {
			continue
		}
		if err != nil {
			return err
		}
		log.Info().Str("anchor", key).Int("rows", len(rows)).Str("sha256", sum).Msg("evidence anchored")
		return river.RecordOutput(ctx, anchorOutput{Key: key, SHA256: sum, Rows: len(rows), Head: a.Head(), Outcome: "anchored"})
	}
	return fmt.Errorf("%s: written meanwhile and still not readable as an anchor", w.deps.Docs.URI(key))
}

// anchorOutput is the job's output (River keeps it; `pipelinectl trace` shows it).
type anchorOutput struct {
	Outcome string `json:"outcome"` // anchored, already_anchored
	Key     string `json:"key"`
	SHA256  string `json:"sha256,omitempty"`
	Rows    int    `json:"rows"`
	Head    string `json:"head"`
	After   int    `json:"rows_after_anchor,omitempty"`
}
