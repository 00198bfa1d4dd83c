package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/rs/zerolog"

	"trustdocs/docpack"
	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// BuildDocPackArgs builds the doc pack of a completed checkout: the pack and its
// documents in the database, their PDFs stored, the pack issued and its envelopes queued.
type BuildDocPackArgs struct {
	Event events.Envelope `json:"event"`
}

func (BuildDocPackArgs) Kind() string { return "build_doc_pack" }

func (a BuildDocPackArgs) Concerns() jobmeta.Meta {
	return jobmeta.Meta{EventID: a.Event.ID, LegID: legOf(a.Event), PackID: PackID(a.Event.ID)}
}

// legOf is the leg a checkout event is about.
func legOf(env events.Envelope) string {
	var d struct {
		LegID string `json:"leg_id"`
	}
	_ = json.Unmarshal(env.Data, &d)
	return d.LegID
}

func (BuildDocPackArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueDocs} }

// BuildDocPackWorker plans the pack (docpack.Build), records it, stores its documents
// and issues it, in the transaction that completes the job. Ids derive from the event
// id, so a retry or a replay finds the pack it made and adds nothing.
type BuildDocPackWorker struct {
	river.WorkerDefaults[BuildDocPackArgs]
	deps *Deps
}

func (w *BuildDocPackWorker) Work(ctx context.Context, job *river.Job[BuildDocPackArgs]) error {
	env := job.Args.Event
	c, err := events.DataAs[events.Checkout](env)
	if err != nil {
		return river.JobCancel(err) // validated at ingestion: cannot happen for a good build
	}
	log := w.deps.Log.With().Str("event_id", env.ID).Str("leg_id", c.LegID).Int64("job_id", job.ID).Logger()

	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)

	if packID, status, found, err := store.LivePack(ctx, tx, c.LegID); err != nil {
		return err
	} else if found && packID != PackID(env.ID) {
		// A second "completed" for a leg that has a pack is an upstream mistake (changes
		// come as booking.checkout.amended): keep the pack, say so, finish the job.
		log.Warn().Str("pack_id", packID).Str("status", status).Msg("leg already has a live pack; checkout ignored")
		return completeTx(ctx, tx, job)
	}
	inline := func(pack store.NewPack, plan docpack.Plan) error { return w.storePackTx(ctx, tx, pack, plan, log) }
	if err := buildPackTx(ctx, tx, env, c, log, inline); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// storePackTx renders the new pack's documents from the plan just recorded (the inputs
// `doc verify` reads back), stores each PDF and hash file write-once, records the hashes
// and issues the pack, in the transaction that created it. One job and one transaction
// per pack, where a render job per document cost a River job, three reads and a
// transaction each (issue 15). S3 writes come before the commit: a crash between them
// leaves objects that the retry writes again, identical, and finds (PutOnce).
func (w *BuildDocPackWorker) storePackTx(ctx context.Context, tx store.Tx, pack store.NewPack, plan docpack.Plan, log zerolog.Logger) error {
	type stored struct {
		uri, sum string
		bytes    int
		err      error
	}
	out := make([]stored, len(pack.Docs))
	var wg sync.WaitGroup
	for i, d := range pack.Docs {
		wg.Go(func() {
			p := plan.Docs[i]
			pdf, err := docpack.Render(docpack.Stored{DocID: d.DocID, TemplateName: p.TemplateName, Layout: p.Layout,
				Clauses: p.Clauses, Variables: d.Variables, Signers: d.Signers})
			if err != nil {
				out[i].err = river.JobCancel(err) // the same inputs will fail the same way: on-call looks at it
				return
			}
			keys := w.deps.Docs.Keys(pack.PackID, d.DocID, 1)
			sum, err := w.deps.Docs.PutOnce(ctx, keys.PDF, "application/pdf", pdf)
			if err == nil {
				_, err = w.deps.Docs.PutOnce(ctx, keys.Hash, "text/plain", docstore.HashFile(sum, keys.PDF))
			}
			out[i] = stored{w.deps.Docs.URI(keys.PDF), sum, len(pdf), err}
		})
	}
	wg.Wait()
	docIDs := make([]string, len(pack.Docs))
	renders := make([]store.Render, len(pack.Docs))
	for i, d := range pack.Docs {
		if out[i].err != nil {
			return out[i].err
		}
		docIDs[i] = d.DocID
		renders[i] = store.Render{DocID: d.DocID, S3URI: out[i].uri, SHA256: out[i].sum}
	}
	if err := store.RecordRendersTx(ctx, tx, renders); err != nil {
		return err
	}
	for i, r := range renders {
		log.Info().Str("doc_id", r.DocID).Str("pack_id", pack.PackID).Str("sha256", r.SHA256).Str("s3", r.S3URI).
			Int("bytes", out[i].bytes).Msg("document stored")
	}
	if issued, err := store.IssueIfRenderedTx(ctx, tx, pack.PackID); err != nil {
		return err
	} else if !issued {
		return fmt.Errorf("pack %s: not issued after storing all its documents", pack.PackID)
	}
	slices.Sort(docIDs)
	return issuePackTx(ctx, tx, pack.PackID, docIDs)
}

// buildPackTx plans a checkout's pack and records it, unless the pack of this event
// exists already or the leg was cancelled after this event happened. A new pack's
// documents are stored by inline when given, else by one render job each.
func buildPackTx(ctx context.Context, tx store.Tx, env events.Envelope, c events.Checkout, log zerolog.Logger,
	inline func(store.NewPack, docpack.Plan) error) error {
	if at, cancelled, err := store.LegCancelledAt(ctx, tx, c.LegID); err != nil {
		return err
	} else if cancelled && !env.OccurredAt.After(at) {
		log.Warn().Time("cancelled_at", at).Msg("leg was cancelled after this event: no pack")
		return nil
	}
	templates, err := store.LiveTemplates(ctx, tx)
	if err != nil {
		return err
	}
	pack := store.NewPack{PackID: PackID(env.ID), LegID: c.LegID, BookingID: c.BookingID, City: c.City,
		GeneratorVer: GeneratorVersion, SourceEventID: env.ID}
	plan, planErr := docpack.Build(c, templates)
	if planErr != nil {
		pack.Failure = planErr.Error()
	} else {
		for _, d := range plan.Docs {
			var clauseIDs []string
			for _, cl := range d.Clauses {
				clauseIDs = append(clauseIDs, cl.ClauseID)
			}
			pack.Docs = append(pack.Docs, store.NewDoc{DocID: DocID(pack.PackID, d.TemplateName), TemplateID: d.TemplateID,
				TemplateVersion: d.TemplateVersion, ClauseIDs: clauseIDs, Variables: d.Variables, Signers: d.Signers})
		}
	}
	created, err := store.CreatePackTx(ctx, tx, pack)
	if err != nil {
		return err
	}
	if created && planErr == nil && inline != nil {
		if err := inline(pack, plan); err != nil {
			return err
		}
	} else if created && planErr == nil {
		var params []river.InsertManyParams
		for _, d := range pack.Docs {
			params = append(params, river.InsertManyParams{Args: RenderDocumentArgs{DocID: d.DocID}})
		}
		if _, err := river.ClientFromContext[store.Tx](ctx).InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("insert render jobs: %w", err)
		}
	}
	switch {
	case !created:
		log.Info().Str("pack_id", pack.PackID).Msg("pack already built: no-op")
	case planErr != nil:
		log.Warn().Str("pack_id", pack.PackID).Str("failure", pack.Failure).Msg("pack failed: recorded, no documents")
	default:
		log.Info().Str("pack_id", pack.PackID).Int("documents", len(pack.Docs)).Msg("pack built")
	}
	return nil
}

// completeOnlyTx completes a job that changes nothing else, in tx (committed by the
// caller).
func completeOnlyTx[T river.JobArgs](ctx context.Context, tx store.Tx, job *river.Job[T]) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	return nil
}

// completeTx completes a job in the transaction of its writes and commits both.
func completeTx[T river.JobArgs](ctx context.Context, tx store.Tx, job *river.Job[T]) error {
	if err := completeOnlyTx(ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// PackID derives a pack's id from the checkout event that built it.
func PackID(eventID string) string { return "dpk_" + shortHash(eventID) }

// DocID derives a document's id from its pack and template.
func DocID(packID, templateName string) string { return "doc_" + shortHash(packID+"\x00"+templateName) }

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
