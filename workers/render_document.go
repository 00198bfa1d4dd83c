package workers

import (
	"context"

	"github.com/riverqueue/river"

	"trustdocs/docpack"
	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// RenderDocumentArgs renders one document of a pack and stores it, write-once, in S3.
type RenderDocumentArgs struct {
	DocID string `json:"doc_id"`
}

func (RenderDocumentArgs) Kind() string { return "render_document" }

func (a RenderDocumentArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{DocID: a.DocID} }

func (RenderDocumentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDocs, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RenderDocumentWorker stores the documents of a pack built without them: an
// amendment's new pack (built in end_doc_pack's transaction, which also voids
// envelopes at the provider) and jobs queued before checkouts' build jobs stored their
// documents themselves. It renders from the stored inputs (so `doc verify` can do the same),
// writes doc_{id}_v1.pdf and hash_{id}.txt with If-None-Match (a retry writes no second
// version), then records the hash. The job that stores a pack's last document issues
// the pack, publishes doc_pack.issued and queues the envelopes, all in its transaction.
type RenderDocumentWorker struct {
	river.WorkerDefaults[RenderDocumentArgs]
	deps *Deps
}

func (w *RenderDocumentWorker) Work(ctx context.Context, job *river.Job[RenderDocumentArgs]) error {
	d, err := store.DocByID(ctx, w.deps.DB, job.Args.DocID)
	if err != nil {
		return err
	}
	in, err := store.RenderInputs(ctx, w.deps.DB, d)
	if err != nil {
		return err
	}
	pdf, err := docpack.Render(in)
	if err != nil {
		return river.JobCancel(err) // the same inputs will fail the same way: on-call looks at it
	}
	keys := w.deps.Docs.Keys(d.PackID, d.DocID, 1)
	sum, err := w.deps.Docs.PutOnce(ctx, keys.PDF, "application/pdf", pdf)
	if err != nil {
		return err
	}
	if _, err := w.deps.Docs.PutOnce(ctx, keys.Hash, "text/plain", docstore.HashFile(sum, keys.PDF)); err != nil {
		return err
	}

	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := store.LockPackTx(ctx, tx, d.PackID); err != nil {
		return err
	}
	uri := w.deps.Docs.URI(keys.PDF)
	if d.RenderSHA256 == nil || *d.RenderSHA256 != sum {
		if err := store.RecordRenderTx(ctx, tx, d.DocID, uri, sum); err != nil {
			return err
		}
	}
	issued, err := store.IssueIfRenderedTx(ctx, tx, d.PackID)
	if err != nil {
		return err
	}
	if issued {
		docs, err := store.PackDocIDs(ctx, tx, d.PackID)
		if err != nil {
			return err
		}
		if err := issuePackTx(ctx, tx, d.PackID, docs); err != nil {
			return err
		}
	}
	if err := completeTx(ctx, tx, job); err != nil {
		return err
	}
	log := w.deps.Log.With().Str("doc_id", d.DocID).Str("pack_id", d.PackID).Str("sha256", sum).Logger()
	log.Info().Str("s3", uri).Int("bytes", len(pdf)).Bool("pack_issued", issued).Msg("document stored")
	return nil
}

// issuePackTx announces an issued pack and queues one envelope per document.
func issuePackTx(ctx context.Context, tx store.Tx, packID string, docs []string) error {
	if err := publishTx(ctx, tx, packID+"\x00issued", events.DocPackIssued, map[string]any{"pack_id": packID, "doc_ids": docs}); err != nil {
		return err
	}
	var params []river.InsertManyParams
	for _, id := range docs {
		params = append(params, river.InsertManyParams{Args: SendEnvelopeArgs{DocID: id}})
	}
	_, err := river.ClientFromContext[store.Tx](ctx).InsertManyTx(ctx, tx, params)
	return err
}
