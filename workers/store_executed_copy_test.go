package workers

import (
	"errors"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// dropboxSigned is a Dropbox Sign callback for a signature of request, as Dropbox Sign
// posts it for requests without template roles: signer_role null.
func (b *jobTest) dropboxSigned(t *testing.T, n, eventType, requestID, signatureID, email string) HandleWebhookArgs {
	t.Helper()
	ct, body := esign.DropboxCallback("key", eventType, requestID, signatureID, "", email, testNow)
	return b.webhook(t, n, "dropboxsign", ct, body)
}

func TestJobStoreExecutedCopy(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	// realProvider makes the test's provider a real one (executed copies kept) and sends
	// the pack through it.
	realProvider := func(t *testing.T, b *jobTest) (string, []string, []string) {
		b.esign.name = "dropboxsign"
		b.esign.executed = esign.Executed{Signed: []byte("%PDF-1.7 executed copy"), Certificate: []byte("%PDF-1.7 certificate")}
		return b.sendPack(t, b.checkout(t))
	}

	t.Run("a signature reported without a role maps to the signer by the id stored at send", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, envelopes := realProvider(t, b)
		doc, err := store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Equal(t, "dropboxsign", doc.EnvelopeProvider)
		role := doc.Signers.Roles(nil)[0]
		sigID := doc.EnvelopeRecipients[role]
		require.NotEmpty(t, sigID)

		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps}, b.dropboxSigned(t, "1", "signature_request_signed", envelopes[0], sigID, ""))
		require.Equal(t, []string{"signed " + role + " " + doc.Signers[role].UserID}, column(t, b,
			`select event || ' ' || actor_role || ' ' || coalesce(actor_user_id, '-') from doc_sign_event where doc_id = $1 and event = 'signed'`, docs[0]))

		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps}, b.dropboxSigned(t, "2", "signature_request_signed", envelopes[0], "sig_stranger", ""))
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event = 'signed'`, docs[0]),
			"a signature by none of our signers is no evidence")
	})

	t.Run("a completed envelope waits for its executed copy before the pack is signed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs, envelopes := realProvider(t, b)
		for i, env := range envelopes {
			res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.dropboxSigned(t, "all"+docs[i], "signature_request_all_signed", env, "", ""))
			require.NoError(t, err)
			jobs := b.inserted(t, res)
			require.Equal(t, []string{"anchor_evidence", "store_executed_copy"}, kinds(jobs), "the end is anchored; the copy is fetched")
			require.Equal(t, jobmeta.Meta{DocID: docs[i]}, jobs[1].Meta)
		}
		require.Equal(t, "issued", scalar[string](t, b, `select status from doc_pack where pack_id = $1`, packID),
			"every envelope completed, no executed copy stored yet: not signed")

		b.esign.notReady = 1
		res, err := work(t, b, &StoreExecutedCopyWorker{deps: b.deps}, StoreExecutedCopyArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobSnoozed, res.EventKind, "the provider is still preparing the files")

		mustComplete(t, b, &StoreExecutedCopyWorker{deps: b.deps}, StoreExecutedCopyArgs{DocID: docs[0]})
		keys := b.docs.Keys(packID, docs[0], 1)
		require.Equal(t, b.esign.executed.Signed, b.docs.objects[keys.Signed])
		require.Equal(t, b.esign.executed.Certificate, b.docs.objects[keys.Certificate])
		doc, err := store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Equal(t, b.docs.URI(keys.Signed), *doc.SignedS3)
		require.Len(t, *doc.SignedSHA256, 64)
		require.Len(t, *doc.CertSHA256, 64)
		require.Equal(t, "issued", scalar[string](t, b, `select status from doc_pack where pack_id = $1`, packID), "one copy of two")

		res, err = work(t, b, &StoreExecutedCopyWorker{deps: b.deps}, StoreExecutedCopyArgs{DocID: docs[1]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "signed", scalar[string](t, b, `select status from doc_pack where pack_id = $1`, packID))
		jobs := b.inserted(t, res)
		require.Len(t, jobs, 1)
		require.Equal(t, events.DocPackSigned, argsOf[PublishEventArgs](t, jobs[0]).Event.Type)

		puts := b.docs.puts
		mustComplete(t, b, &StoreExecutedCopyWorker{deps: b.deps}, StoreExecutedCopyArgs{DocID: docs[1]})
		require.Equal(t, puts, b.docs.puts, "a retry writes nothing new")
	})

	t.Run("a provider that refuses for good cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, envelopes := realProvider(t, b)
		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps}, b.dropboxSigned(t, "all", "signature_request_all_signed", envelopes[0], "", ""))
		b.esign.executed = esign.Executed{}
		res, err := work(t, b, &StoreExecutedCopyWorker{deps: b.deps}, StoreExecutedCopyArgs{DocID: docs[0]})
		require.ErrorContains(t, err, "returned no document")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
	})
}

func TestJobSendEnvelopeRefusals(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("a stored PDF that is not the recorded one is never sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs := b.issuePack(t, b.checkout(t))
		b.docs.objects[b.docs.Keys(packID, docs[0], 1).PDF] = []byte("%PDF-1.7 tampered")
		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, res.Job.Errors[0].Error, "the stored PDF is not the recorded one")
		require.Empty(t, b.esign.sent)
	})

	t.Run("a provider's permanent refusal is recorded with its words and cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs := b.issuePack(t, b.checkout(t))
		b.esign.sendErr = &esign.Error{Provider: "dropboxsign", Op: "send", Status: 400, Message: "bad_request: Invalid email address"}
		res, err := work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, scalar[string](t, b, `select envelope_error from doc_instance where doc_id = $1`, docs[0]), "Invalid email address")
		require.Equal(t, "none", scalar[string](t, b, `select coalesce(envelope_status, 'none') from doc_instance where doc_id = $1`, docs[0]))

		b.esign.sendErr = &esign.Error{Provider: "dropboxsign", Op: "send", Status: 503, Message: "unavailable"}
		_, err = work(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: docs[1]})
		require.Error(t, err, "a 5xx is retried by River")
		var pe *esign.Error
		require.True(t, errors.As(err, &pe) && !pe.Permanent())
	})
}
