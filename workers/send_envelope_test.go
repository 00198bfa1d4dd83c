package workers

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/docstore"
	"trustdocs/esign"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

func TestJobSendEnvelope(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("sends the document, stores the envelope and appends envelope_sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.issuePack(t, b.checkout(t))
		doc, err := store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)

		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{DocID: docs[0]}, jobmeta.Of(res.Job.Metadata))

		keys := b.docs.Keys(packID, docs[0], 1)
		require.Len(t, b.esign.sent, 1)
		sent := b.esign.sent[0]
		require.Equal(t, esign.Envelope{DocID: docs[0], PackID: packID, Title: "Studio House Rules", PDFKey: keys.PDF, PDFSHA256: *doc.RenderSHA256,
			PDF: b.docs.objects[keys.PDF], Recipients: sent.Recipients, Fields: sent.Fields}, sent, "the locked bytes, as stored")
		require.NotEmpty(t, sent.Recipients)
		require.Len(t, sent.Fields, len(sent.Recipients), "a signature field per signer")
		for i, r := range sent.Recipients {
			require.Equal(t, doc.Signers[r.Role].Email, r.Email)
			require.Equal(t, i+1, r.RoutingOrder)
			require.Equal(t, r.Role, sent.Fields[i].Role)
			require.GreaterOrEqual(t, sent.Fields[i].Page, 1)
		}
		out, err := esign.Sandbox{}.Send(b.ctx, sent)
		envelopeID := out.EnvelopeID
		require.Equal(t, out.RecipientIDs, scalar[map[string]string](t, b, `select envelope_recipients from doc_instance where doc_id = $1`, docs[0]),
			"each signer's id at the provider, stored so webhooks map back")
		require.Equal(t, "sandbox", scalar[string](t, b, `select envelope_provider from doc_instance where doc_id = $1`, docs[0]))
		require.NoError(t, err)

		var stored struct {
			Provider   string `json:"provider"`
			EnvelopeID string `json:"envelope_id"`
			DocID      string `json:"doc_id"`
		}
		require.NoError(t, json.Unmarshal(b.docs.objects[keys.Envelope], &stored))
		require.Equal(t, "sandbox", stored.Provider)
		require.Equal(t, envelopeID, stored.EnvelopeID)
		require.Equal(t, docs[0], stored.DocID)

		doc, err = store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Equal(t, envelopeID, doc.EnvelopeID)
		require.Equal(t, "sent", doc.EnvelopeStatus)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event = 'envelope_sent'
			and actor_role = 'system' and provider_payload->>'envelope_id' = $2`, docs[0], envelopeID))
		breaks, n, err := store.VerifySignChain(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Empty(t, breaks)
		require.Equal(t, 1, n)
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a retried send gets the same envelope and adds nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs := b.issuePack(t, b.checkout(t))
		mustComplete(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		first := scalar[string](t, b, `select envelope_id from doc_instance where doc_id = $1`, docs[0])
		puts := b.docs.puts

		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, first, scalar[string](t, b, `select envelope_id from doc_instance where doc_id = $1`, docs[0]))
		require.Equal(t, puts, b.docs.puts, "the same envelope file: no second version")
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1`, docs[0]))
	})

	t.Run("a document not rendered yet snoozes the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs := b.buildPack(t, b.checkout(t))

		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobSnoozed, res.EventKind)
		require.Empty(t, b.esign.sent)
		require.Equal(t, "none", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, docs[0]))
	})

	t.Run("a send the provider refuses fails the job and records nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.issuePack(t, b.checkout(t))
		b.esign.sendErr = errors.New("provider unavailable")

		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.ErrorContains(t, err, "provider unavailable")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.NotContains(t, b.docs.objects, b.docs.Keys(packID, docs[0], 1).Envelope)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1`, docs[0]))
	})

	t.Run("another envelope file at the document's key fails the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.issuePack(t, b.checkout(t))
		b.docs.objects[b.docs.Keys(packID, docs[0], 1).Envelope] = []byte(`{"envelope_id":"env_other"}`)

		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.ErrorIs(t, err, docstore.ErrObjectConflict)
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, "none", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, docs[0]))
	})

	t.Run("an unknown document fails the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: b.id("doc_missing")})
		require.ErrorIs(t, err, store.ErrNotFound)
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
	})

	t.Run("a pack that ended before its envelope went out sends nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs := b.issuePack(t, b.checkout(t))
		mustComplete(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: b.cancellation(t)})
		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Empty(t, b.esign.sent)
		require.Equal(t, "none", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, docs[0]))
	})

	t.Run("a pack that ended while its envelope was being created has it voided, on the record", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.issuePack(t, b.checkout(t))
		b.esign.onSend = func() { mustComplete(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: b.cancellation(t)}) }
		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "voided", scalar[string](t, b, `select status from doc_pack where pack_id = $1`, packID))
		require.Len(t, b.esign.sent, 1)
		doc, err := store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Equal(t, []string{doc.EnvelopeID}, b.esign.voided, "the envelope the pack's end could not know is voided")
		require.Equal(t, "voided", doc.EnvelopeStatus)
		require.Equal(t, []string{"envelope_sent", "voided"}, scalar[[]string](t, b,
			`select array_agg(event order by seq) from doc_sign_event where doc_id = $1`, docs[0]))
		breaks, _, err := store.VerifySignChain(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Empty(t, breaks)
	})
}
