package workers

import (
	"context"
	"testing"

	"github.com/riverqueue/river"

	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/store"
	"trustdocs/testkit"
)

// The doc-pack states the single-job tests start from, reached by working the jobs that
// lead there in the test's transaction (their inserted jobs are then forgotten).

// checkout is the contract's booking.checkout.completed example, on a leg of the test's
// own (roles model and studio: two documents, the talent SOW and the studio house rules).
func (b *jobTest) checkout(t *testing.T) events.Envelope {
	t.Helper()
	return testkit.Example(t, "booking.checkout.completed", func(e *events.Envelope) {
		e.ID = b.id("evt_chk")
		withData(t, e, func(c *events.Checkout) { c.LegID, c.BookingID = b.id("leg"), b.id("bkg") })
	})
}

// draftBuilder records a pack with one render job per document, as an amendment's
// new pack is built (buildPackTx without inline rendering): the draft state the
// render_document tests start from. A checkout's build job stores the documents itself.
type draftBuilder struct {
	river.WorkerDefaults[BuildDocPackArgs]
	deps *Deps
}

func (w *draftBuilder) Work(ctx context.Context, job *river.Job[BuildDocPackArgs]) error {
	c, err := events.DataAs[events.Checkout](job.Args.Event)
	if err != nil {
		return err
	}
	tx, err := w.deps.DB.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := buildPackTx(ctx, tx, job.Args.Event, c, w.deps.Log, nil); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// buildPack builds the draft pack of env and returns its id and documents.
func (b *jobTest) buildPack(t *testing.T, env events.Envelope) (string, []string) {
	t.Helper()
	mustComplete(t, b, &draftBuilder{deps: b.deps}, BuildDocPackArgs{Event: env})
	packID := PackID(env.ID)
	docs, err := store.PackDocIDs(b.ctx, b.tx, packID)
	require.NoError(t, err)
	require.Len(t, docs, 2)
	b.forgetJobs(t)
	return packID, docs
}

// issuePack builds env's pack, its documents stored: the pack is issued.
func (b *jobTest) issuePack(t *testing.T, env events.Envelope) (string, []string) {
	t.Helper()
	mustComplete(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
	packID := PackID(env.ID)
	docs, err := store.PackDocIDs(b.ctx, b.tx, packID)
	require.NoError(t, err)
	require.Len(t, docs, 2)
	b.forgetJobs(t)
	return packID, docs
}

// sendPack issues env's pack and sends its envelopes; it returns each document's
// envelope id.
func (b *jobTest) sendPack(t *testing.T, env events.Envelope) (string, []string, []string) {
	t.Helper()
	packID, docs := b.issuePack(t, env)
	var envelopes []string
	for _, d := range docs {
		mustComplete(t, b, &SendEnvelopeWorker{deps: b.deps}, SendEnvelopeArgs{DocID: d})
		doc, err := store.DocByID(b.ctx, b.tx, d)
		require.NoError(t, err)
		require.Equal(t, "sent", doc.EnvelopeStatus)
		envelopes = append(envelopes, doc.EnvelopeID)
	}
	b.forgetJobs(t)
	return packID, docs, envelopes
}

// recordInbox records events in the inbox as the consumer does (the time of the event
// behind a pack is read from there).
func (b *jobTest) recordInbox(t *testing.T, envs ...events.Envelope) {
	t.Helper()
	var entries []store.InboxEntry
	for _, e := range envs {
		entries = append(entries, store.InboxEntry{EventID: e.ID, Type: e.Type, Source: e.Source, Queue: "checkout",
			MessageID: "msg_" + e.ID, OccurredAt: e.OccurredAt})
	}
	_, err := store.InsertInboxTx(b.ctx, b.tx, entries)
	require.NoError(t, err)
}
