package workers

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/testkit"
)

// amendment is the contract's booking.checkout.amended example on the test's leg (a day
// after its checkout).
func (b *jobTest) amendment(t *testing.T) events.Envelope {
	t.Helper()
	return testkit.Example(t, "booking.checkout.amended", func(e *events.Envelope) {
		e.ID = b.id("evt_amend")
		withData(t, e, func(c *events.Checkout) { c.LegID, c.BookingID = b.id("leg"), b.id("bkg") })
	})
}

// cancellation is the contract's booking.checkout.cancelled example on the test's leg (two
// days after its checkout).
func (b *jobTest) cancellation(t *testing.T) events.Envelope {
	t.Helper()
	return testkit.Example(t, "booking.checkout.cancelled", func(e *events.Envelope) {
		e.ID = b.id("evt_cancel")
		withData(t, e, func(c *events.CheckoutCancellation) { c.LegID, c.BookingID = b.id("leg"), b.id("bkg") })
	})
}

func TestJobEndDocPack(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("an amendment supersedes the live pack, voids its envelopes and builds a new pack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		chk, amend := b.checkout(t), b.amendment(t)
		b.recordInbox(t, chk)
		old, docs, envelopes := b.sendPack(t, chk)

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: amend})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: amend.ID, LegID: b.id("leg")}, jobmeta.Of(res.Job.Metadata))

		require.Equal(t, "superseded", packStatus(t, b, old))
		require.Equal(t, "draft", packStatus(t, b, PackID(amend.ID)))
		require.ElementsMatch(t, envelopes, b.esign.voided, "every open envelope voided with the provider")
		b.requireVoided(t, docs, amend)

		jobs := b.inserted(t, res)
		require.Equal(t, []string{"anchor_evidence", "anchor_evidence", "publish_event", "render_document", "render_document"}, kinds(jobs))
		require.ElementsMatch(t, docs, []string{argsOf[AnchorEvidenceArgs](t, jobs[0]).DocID, argsOf[AnchorEvidenceArgs](t, jobs[1]).DocID},
			"each voided envelope's evidence is anchored, queued with the void")
		ev := argsOf[PublishEventArgs](t, jobs[2]).Event
		require.Equal(t, events.DocPackSuperseded, ev.Type)
		require.JSONEq(t, `{"pack_id":"`+old+`","cause_event_id":"`+amend.ID+`"}`, string(ev.Data))
		require.Equal(t, jobmeta.Meta{EventID: ev.ID, PackID: old}, jobs[2].Meta)
		newDocs, err := store.PackDocIDs(b.ctx, b.tx, PackID(amend.ID))
		require.NoError(t, err)
		require.ElementsMatch(t, newDocs, []string{argsOf[RenderDocumentArgs](t, jobs[3]).DocID, argsOf[RenderDocumentArgs](t, jobs[4]).DocID})
	})

	t.Run("a cancellation voids the live pack and cancels the leg", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		chk, cancel := b.checkout(t), b.cancellation(t)
		b.recordInbox(t, chk)
		old, docs, envelopes := b.sendPack(t, chk)

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: cancel})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "voided", packStatus(t, b, old))
		require.ElementsMatch(t, envelopes, b.esign.voided)
		b.requireVoided(t, docs, cancel)
		b.requireLegCancelledAt(t, cancel.OccurredAt)
		_, _, live, err := store.LivePack(b.ctx, b.tx, b.id("leg"))
		require.NoError(t, err)
		require.False(t, live)

		jobs := b.inserted(t, res)
		require.Equal(t, []string{"anchor_evidence", "anchor_evidence", "publish_event"}, kinds(jobs))
		ev := argsOf[PublishEventArgs](t, jobs[2]).Event
		require.Equal(t, events.DocPackVoided, ev.Type)
		require.JSONEq(t, `{"pack_id":"`+old+`","cause_event_id":"`+cancel.ID+`"}`, string(ev.Data))
	})

	t.Run("a draft pack is superseded with no envelope to void", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		old, _ := b.buildPack(t, b.checkout(t))

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: b.amendment(t)})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "superseded", packStatus(t, b, old))
		require.Empty(t, b.esign.voided)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_sign_event s join doc_instance d using (doc_id) where d.pack_id = $1`, old))
		require.Equal(t, []string{"publish_event", "render_document", "render_document"}, kinds(b.inserted(t, res)))
	})

	t.Run("a replayed amendment finds its pack and changes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		amend := b.amendment(t)
		b.sendPack(t, b.checkout(t))
		mustComplete(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: amend})
		voided := len(b.esign.voided)

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: amend})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "draft", packStatus(t, b, PackID(amend.ID)), "the amended pack stays live")
		require.Equal(t, 2, scalar[int](t, b, `select count(*) from doc_pack where leg_id = $1`, b.id("leg")))
		require.Len(t, b.esign.voided, voided)
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("an event older than the live pack's is ignored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		chk := b.checkout(t)
		b.recordInbox(t, chk)
		live, _, _ := b.sendPack(t, chk)
		for _, old := range []events.Envelope{b.amendment(t), b.cancellation(t)} {
			old.OccurredAt = chk.OccurredAt.Add(-time.Hour) // delivered out of order

			res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: old})
			require.NoError(t, err)
			require.Equal(t, river.EventKindJobCompleted, res.EventKind, old.Type)
			require.Equal(t, "issued", packStatus(t, b, live), old.Type)
			require.Empty(t, b.esign.voided, old.Type)
			require.Empty(t, b.inserted(t, res), old.Type)
		}
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_pack where leg_id = $1`, b.id("leg")))
		b.requireLegCancelledAt(t, time.Time{})
	})

	t.Run("a cancellation before any pack records the leg's cancellation", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		cancel := b.cancellation(t)

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: cancel})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		b.requireLegCancelledAt(t, cancel.OccurredAt)
		require.Empty(t, b.esign.voided)
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("an amendment for a leg without a pack builds one", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		amend := b.amendment(t)

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: amend})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, "draft", packStatus(t, b, PackID(amend.ID)))
		require.Equal(t, []string{"render_document", "render_document"}, kinds(b.inserted(t, res)))
	})

	t.Run("an envelope the provider cannot void fails the job and ends nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		old, docs, _ := b.sendPack(t, b.checkout(t))
		b.esign.voidErr = errors.New("provider unavailable")

		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: b.cancellation(t)})
		require.ErrorContains(t, err, "provider unavailable")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Equal(t, "issued", packStatus(t, b, old))
		require.Equal(t, 2, scalar[int](t, b, `select count(*) from doc_instance where doc_id = any($1) and envelope_status = 'sent'`, docs))
		b.requireLegCancelledAt(t, time.Time{})
	})

	t.Run("data that is not the event's cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		for _, env := range []events.Envelope{b.amendment(t), b.cancellation(t)} {
			env.Data = json.RawMessage(`"not an object"`)
			res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: env})
			require.NoError(t, err)
			require.Equal(t, river.EventKindJobCancelled, res.EventKind, env.Type)
		}
		b.requireLegCancelledAt(t, time.Time{})
	})
}

// requireVoided requires one `voided` evidence row per document, naming the event that
// ended the pack, with the documents' envelopes voided and their evidence chains intact.
func (b *jobTest) requireVoided(t *testing.T, docs []string, cause events.Envelope) {
	t.Helper()
	for _, d := range docs {
		require.Equal(t, "voided", scalar[string](t, b, `select envelope_status from doc_instance where doc_id = $1`, d))
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_sign_event where doc_id = $1 and event = 'voided'
			and actor_role = 'system' and provider_payload->>'reason' = $2 and provider_payload->>'event_id' = $3`, d, cause.Type, cause.ID))
		breaks, _, err := store.VerifySignChain(b.ctx, b.tx, d)
		require.NoError(t, err)
		require.Empty(t, breaks)
	}
}

// requireLegCancelledAt requires the test's leg cancelled at want (zero: not cancelled).
func (b *jobTest) requireLegCancelledAt(t *testing.T, want time.Time) {
	t.Helper()
	at, cancelled, err := store.LegCancelledAt(b.ctx, b.tx, b.id("leg"))
	require.NoError(t, err)
	require.Equal(t, !want.IsZero(), cancelled)
	if cancelled {
		require.True(t, want.Equal(at), "cancelled at %s, want %s", at, want)
	}
}
