package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"trustdocs/esign"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// StoreExecutedCopyArgs keeps the executed copy of one completed envelope.
type StoreExecutedCopyArgs struct {
	DocID string `json:"doc_id"`
}

func (StoreExecutedCopyArgs) Kind() string { return "store_executed_copy" }

func (a StoreExecutedCopyArgs) Concerns() jobmeta.Meta { return jobmeta.Meta{DocID: a.DocID} }

// A provider may take a while to prepare the files (Dropbox Sign answers 409 until
// then): the job snoozes meanwhile; real failures use River's default attempts and
// backoff, and a job that runs out of them shows in `jobs list`.
func (StoreExecutedCopyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDocs, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// notReadySnooze is how long the job waits for a provider still preparing the files.
const notReadySnooze = 30 * time.Second

// StoreExecutedCopyWorker downloads a completed envelope's executed copy (and DocuSign's
// certificate of completion) from its provider, writes them write-once beside the
// original under the bucket's lock (signed_{doc_id}.pdf, certificate_{doc_id}.pdf),
// records their SHA-256, and signs the pack — announcing doc_pack.signed — when this
// was the last document it waited for, all in one transaction.
type StoreExecutedCopyWorker struct {
	river.WorkerDefaults[StoreExecutedCopyArgs]
	deps *Deps
}

func (w *StoreExecutedCopyWorker) Work(ctx context.Context, job *river.Job[StoreExecutedCopyArgs]) error {
	d, err := store.DocByID(ctx, w.deps.DB, job.Args.DocID)
	if err != nil {
		return err
	}
	log := w.deps.Log.With().Str("doc_id", d.DocID).Str("pack_id", d.PackID).Str("envelope_id", d.EnvelopeID).Int64("job_id", job.ID).Logger()
	if d.EnvelopeStatus != "completed" {
		return river.JobCancel(fmt.Errorf("doc %s: envelope is %s, not completed: no executed copy", d.DocID, d.EnvelopeStatus))
	}
	provider, err := w.deps.esignFor(d.EnvelopeProvider)
	if err != nil {
		return err
	}
	ex, err := provider.Executed(ctx, d.EnvelopeID)
	switch {
	case errors.Is(err, esign.ErrNotReady):
		log.Info().Msg("executed copy not ready at the provider yet")
		return river.JobSnooze(notReadySnooze)
	case esign.IsPermanent(err):
		return river.JobCancel(fmt.Errorf("executed copy of %s: %w", d.DocID, err))
	case err != nil:
		return fmt.Errorf("executed copy of %s: %w", d.DocID, err)
	case len(ex.Signed) == 0:
		return fmt.Errorf("executed copy of %s: %s returned no document", d.DocID, provider.Name())
	}
	keys := w.deps.Docs.Keys(d.PackID, d.DocID, 1)
	c := store.ExecutedCopy{SignedS3: w.deps.Docs.URI(keys.Signed)}
	if c.SignedSHA256, err = w.deps.Docs.PutOnce(ctx, keys.Signed, "application/pdf", ex.Signed); err != nil {
		return err
	}
	if len(ex.Certificate) > 0 {
		c.CertS3 = w.deps.Docs.URI(keys.Certificate)
		if c.CertSHA256, err = w.deps.Docs.PutOnce(ctx, keys.Certificate, "application/pdf", ex.Certificate); err != nil {
			return err
		}
	}

	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := store.LockPackTx(ctx, tx, d.PackID); err != nil {
		return err
	}
	if d.SignedSHA256 == nil || *d.SignedSHA256 != c.SignedSHA256 {
		if err := store.RecordExecutedTx(ctx, tx, d.DocID, c); err != nil {
			return err
		}
	}
	if err := signPackTx(ctx, tx, d.PackID); err != nil {
		return err
	}
	if err := completeTx(ctx, tx, job); err != nil {
		return err
	}
	log.Info().Str("signed_sha256", c.SignedSHA256).Bool("certificate", c.CertS3 != "").Msg("executed copy stored")
	return nil
}
