package workers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

func TestJobRenderDocument(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("stores the PDF and its hash once and records the hash; the pack waits for its other document", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.buildPack(t, b.checkout(t))
		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{DocID: docs[0]}, jobmeta.Of(res.Job.Metadata))

		keys := b.docs.Keys(packID, docs[0], 1)
		pdf := b.docs.objects[keys.PDF]
		require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")), "a PDF at %s", keys.PDF)
		sum := sha256.Sum256(pdf)
		sha := hex.EncodeToString(sum[:])
		require.Equal(t, docstore.HashFile(sha, keys.PDF), b.docs.objects[keys.Hash])
		require.Equal(t, 2, b.docs.puts, "the PDF and its hash file, nothing else")

		d, err := store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Equal(t, sha, *d.RenderSHA256)
		require.Equal(t, b.docs.URI(keys.PDF), *d.RenderS3)
		require.Equal(t, "draft", packStatus(t, b, packID), "one document is not rendered yet")
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("the last document issues the pack, announces it and queues the envelopes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.buildPack(t, b.checkout(t))
		mustComplete(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		b.forgetJobs(t)

		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[1]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "issued", packStatus(t, b, packID))

		jobs := b.inserted(t, res)
		require.Equal(t, []string{"publish_event", "send_envelope", "send_envelope"}, kinds(jobs))
		ev := argsOf[PublishEventArgs](t, jobs[0]).Event
		require.Equal(t, events.DocPackIssued, ev.Type)
		require.Equal(t, "evt_"+shortHash(packID+"\x00issued"), ev.ID, "the event id derives from the change")
		require.JSONEq(t, `{"pack_id":"`+packID+`","doc_ids":["`+docs[0]+`","`+docs[1]+`"]}`, string(ev.Data))
		require.Equal(t, jobmeta.Meta{EventID: ev.ID, PackID: packID}, jobs[0].Meta)
		require.Equal(t, QueueOutbox, jobs[0].Queue)
		for i, j := range jobs[1:] {
			require.Equal(t, SendEnvelopeArgs{DocID: docs[i]}, argsOf[SendEnvelopeArgs](t, j))
			require.Equal(t, jobmeta.Meta{DocID: docs[i]}, j.Meta)
		}
	})

	t.Run("a render of a rendered document writes nothing new and queues nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.issuePack(t, b.checkout(t))
		puts := b.docs.puts

		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, puts, b.docs.puts, "the same bytes again: no second version")
		require.Equal(t, "issued", packStatus(t, b, packID))
		require.Empty(t, b.inserted(t, res), "the pack was issued once")
	})

	t.Run("a document whose inputs cannot render cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.buildPack(t, b.checkout(t))
		_, err := b.tx.Exec(b.ctx, `update doc_instance set variables_filled = '{}' where doc_id = $1`, docs[0])
		require.NoError(t, err)

		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, res.Job.Errors[0].Error, "missing variable")
		require.Empty(t, b.docs.objects)
		require.Equal(t, "draft", packStatus(t, b, packID))
	})

	t.Run("other bytes at the PDF's write-once key fail the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.buildPack(t, b.checkout(t))
		keys := b.docs.Keys(packID, docs[0], 1)
		b.docs.objects[keys.PDF] = []byte("%PDF- another document")

		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		require.ErrorIs(t, err, docstore.ErrObjectConflict)
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.NotContains(t, b.docs.objects, keys.Hash)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_instance where doc_id = $1 and render_pdf_sha256 is not null`, docs[0]))
	})

	t.Run("other bytes at the hash file's key fail the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.buildPack(t, b.checkout(t))
		keys := b.docs.Keys(packID, docs[0], 1)
		b.docs.objects[keys.Hash] = []byte("0000  forged\n")

		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		require.ErrorIs(t, err, docstore.ErrObjectConflict)
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_instance where doc_id = $1 and render_pdf_sha256 is not null`, docs[0]))
	})

	t.Run("a document that records another render fails the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.buildPack(t, b.checkout(t))
		_, err := b.tx.Exec(b.ctx, `update doc_instance set render_pdf_s3 = 's3://elsewhere', render_pdf_sha256 = repeat('f', 64)
			where doc_id = $1`, docs[0])
		require.NoError(t, err)

		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: docs[0]})
		require.ErrorContains(t, err, "already records another render")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, "draft", packStatus(t, b, packID))
	})

	t.Run("an unknown document fails the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		res, err := work(t, b, &RenderDocumentWorker{deps: b.deps}, RenderDocumentArgs{DocID: b.id("doc_missing")})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
	})
}

func packStatus(t *testing.T, b *jobTest, packID string) string {
	t.Helper()
	return scalar[string](t, b, `select status from doc_pack where pack_id = $1`, packID)
}
