package workers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/esign"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

// webhook is a verified provider webhook as the receiver enqueues it; n tells the
// test's deliveries apart.
func (b *jobTest) webhook(t *testing.T, n, provider, contentType string, body []byte) HandleWebhookArgs {
	t.Helper()
	data, err := json.Marshal(events.Webhook{Provider: provider, Headers: map[string]string{"Content-Type": contentType},
		BodyBase64: body, ReceivedAt: testNow, ReceiptID: "rcp_" + n})
	require.NoError(t, err)
	return HandleWebhookArgs{Event: events.Envelope{ID: b.id("whk_" + n), Type: events.WebhookReceived, Source: "receiver",
		OccurredAt: testNow, Data: data}}
}

// connect is a DocuSign Connect message about an envelope of the test.
func (b *jobTest) connect(t *testing.T, n, event, envelopeID, role, email string, at time.Time) HandleWebhookArgs {
	t.Helper()
	rid := ""
	if role != "" {
		rid = "1"
	}
	return b.webhook(t, n, "docusign", "application/json", esign.ConnectMessage(event, envelopeID, rid, role, email, at))
}

// webhookOutcomes lists the provider events recorded in the test: type, outcome and
// subject.
func (b *jobTest) webhookOutcomes(t *testing.T) []string {
	t.Helper()
	return column(t, b, `select event_type || ' ' || outcome || ' ' || coalesce(subject, '-') from webhook_event order by recorded_at, dedupe_key`)
}

var signedAt = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestJobHandleWebhook(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("a signer's completion appends signed evidence", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, envelopes := b.sendPack(t, b.checkout(t))
		doc, err := store.DocByID(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		role := "buyer"
		signer := doc.Signers[role]

		args := b.connect(t, "1", "recipient-completed", envelopes[0], role, signer.Email, signedAt)
		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: args.Event.ID}, jobmeta.Of(res.Job.Metadata))

		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event = 'signed'
			and actor_role = $2 and actor_user_id = $3 and actor_email = $4`, docs[0], role, signer.UserID, signer.Email))
		breaks, n, err := store.VerifySignChain(b.ctx, b.tx, docs[0])
		require.NoError(t, err)
		require.Empty(t, breaks)
		require.Equal(t, 2, n, "envelope_sent, then signed")
		require.Equal(t, "sent", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, docs[0]))
		require.Equal(t, []string{"recipient-completed applied " + docs[0]}, b.webhookOutcomes(t))
		require.Equal(t, "rcp_1", scalar[string](t, b, `select receipt_id from webhook_event`))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a duplicate provider event changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, envelopes := b.sendPack(t, b.checkout(t))
		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "1", "recipient-delivered", envelopes[0], "buyer", "b@example.com", signedAt))

		// Delivered again (another receipt of the same provider event).
		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "2", "recipient-delivered", envelopes[0], "buyer", "b@example.com", signedAt))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event = 'viewed'`, docs[0]))
		require.Len(t, b.webhookOutcomes(t), 1)
		require.Equal(t, "rcp_1", scalar[string](t, b, `select receipt_id from webhook_event`), "the first receipt stays")
	})

	t.Run("the envelope of a document of a pack with another open one completes, the pack waits", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, docs, envelopes := b.sendPack(t, b.checkout(t))

		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "1", "envelope-completed", envelopes[0], "", "", signedAt))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "completed", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, docs[0]))
		require.Equal(t, "issued", packStatus(t, b, packID))
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event <> 'envelope_sent'`, docs[0]),
			"a completion is a status, not evidence")
		require.Equal(t, []string{"envelope-completed applied " + docs[0]}, b.webhookOutcomes(t))
		jobs := b.inserted(t, res)
		require.Equal(t, []string{"anchor_evidence"}, kinds(jobs), "the ended envelope's evidence is anchored, queued with the end")
		require.Equal(t, docs[0], argsOf[AnchorEvidenceArgs](t, jobs[0]).DocID)
		require.Equal(t, QueueDocs, jobs[0].Queue)
	})

	t.Run("the last envelope completing signs the pack and announces it", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		packID, _, envelopes := b.sendPack(t, b.checkout(t))
		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "1", "envelope-completed", envelopes[0], "", "", signedAt))
		b.forgetJobs(t)

		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "2", "envelope-completed", envelopes[1], "", "", signedAt))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "signed", packStatus(t, b, packID))
		jobs := b.inserted(t, res)
		require.Equal(t, []string{"anchor_evidence", "publish_event"}, kinds(jobs))
		ev := argsOf[PublishEventArgs](t, jobs[1]).Event
		require.Equal(t, events.DocPackSigned, ev.Type)
		require.Equal(t, "evt_"+shortHash(packID+"\x00signed"), ev.ID)
		require.JSONEq(t, `{"pack_id":"`+packID+`"}`, string(ev.Data))
		require.Equal(t, jobmeta.Meta{EventID: ev.ID, PackID: packID}, jobs[1].Meta)
	})

	t.Run("a late envelope-sent is evidence but moves no status back", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, envelopes := b.sendPack(t, b.checkout(t))
		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "1", "envelope-completed", envelopes[0], "", "", signedAt))

		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "2", "envelope-sent", envelopes[0], "", "", signedAt.Add(-time.Hour)))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "completed", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, docs[0]))
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event = 'envelope_sent'
			and actor_role = 'provider'`, docs[0]))
	})

	t.Run("an event the pipeline does not use is recorded as ignored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, envelopes := b.sendPack(t, b.checkout(t))

		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "1", "envelope-delivered", envelopes[0], "", "", signedAt))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, []string{"envelope-delivered ignored " + docs[0]}, b.webhookOutcomes(t))
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1`, docs[0]))
	})

	t.Run("an account-level event is recorded as ignored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		ct, body := esign.DropboxCallback("k", "callback_test", "", "", "", "", signedAt)

		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.webhook(t, "1", "dropboxsign", ct, body))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, []string{"callback_test ignored -"}, b.webhookOutcomes(t))
	})

	t.Run("an envelope no document has is recorded as unknown_subject", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "1", "envelope-completed", b.id("env_unknown"), "", "", signedAt))
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, []string{"envelope-completed unknown_subject -"}, b.webhookOutcomes(t))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a body that cannot be read cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		for _, args := range []HandleWebhookArgs{
			b.webhook(t, "1", "docusign", "application/json", []byte(`{"event":`)),
			{Event: events.Envelope{ID: b.id("whk_2"), Type: events.WebhookReceived, Data: json.RawMessage(`["not a webhook"]`)}},
		} {
			res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, args)
			require.NoError(t, err)
			require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		}
		require.Empty(t, b.webhookOutcomes(t))
	})
}
