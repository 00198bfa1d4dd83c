package workers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/stretchr/testify/require"

	"trustdocs/docpack"
	"trustdocs/docstore"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
)

func TestJobBuildDocPack(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("builds the pack, stores its documents as doc verify renders them, issues it and queues the envelopes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		packID, legID := PackID(env.ID), legOf(env)
		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: env.ID, LegID: legID, PackID: packID}, jobmeta.Of(res.Job.Metadata))

		p, err := store.PackByID(b.ctx, b.tx, packID)
		require.NoError(t, err)
		require.Equal(t, store.Pack{PackID: packID, LegID: legID, Status: "issued", SourceEventID: env.ID}, withoutTimes(p))
		require.Equal(t, GeneratorVersion, scalar[string](t, b, `select generator_ver from doc_pack where pack_id = $1`, packID))
		require.Equal(t, "NYC", scalar[string](t, b, `select city from booking_leg where leg_id = $1`, legID))

		want := []string{DocID(packID, "Talent SOW"), DocID(packID, "Studio House Rules")}
		docs, err := store.PackDocIDs(b.ctx, b.tx, packID)
		require.NoError(t, err)
		require.ElementsMatch(t, want, docs)
		sow, err := store.DocByID(b.ctx, b.tx, want[0])
		require.NoError(t, err)
		require.Equal(t, "usr_t_2002", sow.Signers["talent"].UserID)
		require.Equal(t, "Jordan Lee", sow.Variables["talent_name"])
		require.NotEmpty(t, sow.ClauseIDs)

		// Each stored PDF is what a render from the stored inputs gives (doc verify's
		// check): the inline render used the plan, not a read-back.
		for _, id := range want {
			d, err := store.DocByID(b.ctx, b.tx, id)
			require.NoError(t, err)
			in, err := store.RenderInputs(b.ctx, b.tx, d)
			require.NoError(t, err)
			again, err := docpack.Render(in)
			require.NoError(t, err)
			keys := b.docs.Keys(packID, id, 1)
			require.Equal(t, again, b.docs.objects[keys.PDF], "stored PDF of %s", id)
			sum := sha256.Sum256(again)
			require.Equal(t, hex.EncodeToString(sum[:]), *d.RenderSHA256)
			require.Equal(t, b.docs.URI(keys.PDF), *d.RenderS3)
			require.Equal(t, docstore.HashFile(*d.RenderSHA256, keys.PDF), b.docs.objects[keys.Hash])
		}
		require.Equal(t, 4, b.docs.puts, "two PDFs and their hash files, nothing else")

		jobs := b.inserted(t, res)
		require.Equal(t, []string{"publish_event", "send_envelope", "send_envelope"}, kinds(jobs))
		require.Equal(t, events.DocPackIssued, argsOf[PublishEventArgs](t, jobs[0]).Event.Type)
		var sends []string
		for _, j := range jobs[1:] {
			a := argsOf[SendEnvelopeArgs](t, j)
			require.Equal(t, jobmeta.Meta{DocID: a.DocID}, j.Meta)
			sends = append(sends, a.DocID)
		}
		require.ElementsMatch(t, want, sends)
	})

	t.Run("S3 failing records nothing; the retry stores the same objects and issues the pack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		b.docs.failPuts = 1
		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.ErrorIs(t, err, errS3Down)
		require.Equal(t, river.EventKindJobFailed, res.EventKind, "retried")
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_pack where source_event_id = $1`, env.ID), "rolled back")
		stored := b.docs.puts

		mustComplete(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.Equal(t, "issued", packStatus(t, b, PackID(env.ID)))
		require.Equal(t, 4, b.docs.puts, "the objects of the failed attempt (%d) are found, not written twice", stored)
	})

	t.Run("a replay finds its pack and adds nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		mustComplete(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})

		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_pack where leg_id = $1`, legOf(env)))
		require.Equal(t, 2, scalar[int](t, b, `select count(*) from doc_instance where pack_id = $1`, PackID(env.ID)))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a second checkout for a leg with a live pack is ignored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		first := b.checkout(t)
		mustComplete(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: first})
		second := first
		second.ID, second.OccurredAt = b.id("evt_chk_again"), first.OccurredAt.Add(time.Hour)

		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: second})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		live, status, found, err := store.LivePack(b.ctx, b.tx, legOf(first))
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, PackID(first.ID), live, "the first pack stays")
		require.Equal(t, "issued", status)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_pack where pack_id = $1`, PackID(second.ID)))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a leg cancelled after the event gets no pack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		require.NoError(t, store.CancelLegTx(b.ctx, b.tx, legOf(env), b.id("bkg"), env.OccurredAt.Add(time.Minute)))

		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_pack where leg_id = $1`, legOf(env)))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a leg cancelled before the event gets its pack", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		require.NoError(t, store.CancelLegTx(b.ctx, b.tx, legOf(env), b.id("bkg"), env.OccurredAt.Add(-time.Minute)))

		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, 1, scalar[int](t, b, `select count(*) from doc_pack where pack_id = $1`, PackID(env.ID)))
		require.Equal(t, []string{"publish_event", "send_envelope", "send_envelope"}, kinds(b.inserted(t, res)))
	})

	t.Run("a plan that fails is recorded on the pack, with no documents or render jobs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		withData(t, &env, func(c *events.Checkout) { c.Roles = []string{"stylist"} }) // no template's role gate

		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		p, err := store.PackByID(b.ctx, b.tx, PackID(env.ID))
		require.NoError(t, err)
		require.Equal(t, "draft", p.Status)
		require.Contains(t, p.Failure, "no active template applies to this leg")
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_instance where pack_id = $1`, p.PackID))
		require.Empty(t, b.inserted(t, res))
		rivertest.RequireNotInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, RenderDocumentArgs{}, nil)
		require.Zero(t, b.docs.puts, "nothing stored")
	})

	t.Run("data that is not a checkout cancels the job", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		env := b.checkout(t)
		env.Data = json.RawMessage(`["not", "a", "checkout"]`)

		res, err := work(t, b, &BuildDocPackWorker{deps: b.deps}, BuildDocPackArgs{Event: env})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Equal(t, 0, scalar[int](t, b, `select count(*) from doc_pack where source_event_id = $1`, env.ID))
	})
}

// withoutTimes is a pack without its timestamps, to compare with a literal.
func withoutTimes(p store.Pack) store.Pack {
	p.CreatedAt, p.UpdatedAt = time.Time{}, time.Time{}
	return p
}
