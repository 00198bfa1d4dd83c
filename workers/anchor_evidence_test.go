package workers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"trustdocs/evidence"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/testkit"
)

// completeEnvelope takes the first document of a sent pack to completed through the
// webhook job (a signer's signature, then the envelope's completion) and returns it,
// with the anchor job that completion queued.
func (b *jobTest) completeEnvelope(t *testing.T) (string, AnchorEvidenceArgs) {
	t.Helper()
	_, docs, envelopes := b.sendPack(t, b.checkout(t))
	doc, err := store.DocByID(b.ctx, b.tx, docs[0])
	require.NoError(t, err)
	mustComplete(t, b, &HandleWebhookWorker{deps: b.deps},
		b.connect(t, "1", "recipient-completed", envelopes[0], "buyer", doc.Signers["buyer"].Email, signedAt))
	res, err := work(t, b, &HandleWebhookWorker{deps: b.deps}, b.connect(t, "2", "envelope-completed", envelopes[0], "", "", signedAt))
	require.NoError(t, err)
	jobs := b.inserted(t, res)
	require.Equal(t, []string{"anchor_evidence"}, kinds(jobs))
	b.forgetJobs(t)
	return docs[0], argsOf[AnchorEvidenceArgs](t, jobs[0])
}

// anchorOf reads the anchor the fake bucket holds for a document.
func (b *jobTest) anchorOf(t *testing.T, docID string) (string, evidence.Anchor) {
	t.Helper()
	d, err := store.DocByID(b.ctx, b.tx, docID)
	require.NoError(t, err)
	key := b.docs.Keys(d.PackID, d.DocID, 1).Evidence
	body, ok := b.docs.objects[key]
	require.True(t, ok, "no anchor at %s", key)
	a, err := evidence.ParseAnchor(body)
	require.NoError(t, err)
	return key, a
}

func anchorOutputOf(t *testing.T, job *rivertype.JobRow) anchorOutput {
	t.Helper()
	var out anchorOutput
	require.NoError(t, json.Unmarshal(job.Output(), &out))
	return out
}

func TestJobAnchorEvidence(t *testing.T) {
	t.Parallel()
	db := jobDBWithContent(t)

	t.Run("an ended envelope's evidence is anchored write-once, as stored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		docID, args := b.completeEnvelope(t)
		require.Equal(t, AnchorEvidenceArgs{DocID: docID}, args)

		res, err := work(t, b, &AnchorEvidenceWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{DocID: docID}, jobmeta.Of(res.Job.Metadata))
		require.Equal(t, QueueDocs, res.Job.Queue)

		key, a := b.anchorOf(t, docID)
		require.Regexp(t, `^test/packs/dpk_[0-9a-f]+/evidence_`+docID+`\.json$`, key)
		rows, err := store.SignLog(b.ctx, b.tx, docID)
		require.NoError(t, err)
		require.Len(t, rows, 2, "envelope_sent, then the buyer's signature")
		require.Len(t, a.Events, 2)
		diffs, after := evidence.CompareAnchor(a, rows)
		require.Empty(t, diffs, "the anchor holds the rows as stored")
		require.Empty(t, after)
		require.Equal(t, "signed", a.Events[1].Event)
		require.NotNil(t, a.Events[1].ChainHash)
		require.Equal(t, a.Events[0].ChainHash, a.Events[1].PrevHash)
		require.Empty(t, a.ChainBreaks(), "the chain recomputed from the anchor alone matches PostgreSQL's hashes")
		require.Equal(t, "completed", a.EnvelopeStatus)
		out := anchorOutputOf(t, res.Job)
		require.Equal(t, anchorOutput{Outcome: "anchored", Key: key, SHA256: out.SHA256, Rows: 2, Head: a.Head()}, out)
		require.Len(t, out.SHA256, 64)

		puts := b.docs.puts
		again, err := work(t, b, &AnchorEvidenceWorker{deps: b.deps}, args)
		require.NoError(t, err, "a retry or a replay")
		require.Equal(t, river.EventKindJobCompleted, again.EventKind)
		require.Equal(t, puts, b.docs.puts, "nothing written twice")
		require.Equal(t, "already_anchored", anchorOutputOf(t, again.Job).Outcome)
	})

	t.Run("a row that arrives after the anchor is evidence beyond it, not a mismatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		docID, args := b.completeEnvelope(t)
		mustComplete(t, b, &AnchorEvidenceWorker{deps: b.deps}, args)
		d, err := store.DocByID(b.ctx, b.tx, docID)
		require.NoError(t, err)
		// The other signer's signature, delivered after the envelope's completion.
		other := ""
		for role := range d.Signers {
			if role != "buyer" {
				other = role
			}
		}
		require.NotEmpty(t, other)
		mustComplete(t, b, &HandleWebhookWorker{deps: b.deps},
			b.connect(t, "3", "recipient-completed", d.EnvelopeID, other, d.Signers[other].Email, signedAt.Add(time.Minute)))

		res, err := work(t, b, &AnchorEvidenceWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		out := anchorOutputOf(t, res.Job)
		require.Equal(t, "already_anchored", out.Outcome)
		require.Equal(t, 2, out.Rows)
		require.Equal(t, 1, out.After)
	})

	t.Run("a chain rewritten after anchoring cancels the job, naming the row", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		docID, args := b.completeEnvelope(t)
		mustComplete(t, b, &AnchorEvidenceWorker{deps: b.deps}, args)

		testkit.RewriteSignChain(t, b.ctx, b.tx, docID, 2, `{"forged": true}`)
		breaks, _, err := store.VerifySignChain(b.ctx, b.tx, docID)
		require.NoError(t, err)
		require.Empty(t, breaks, "rewritten hashes and all, the chain alone shows nothing")

		res, err := work(t, b, &AnchorEvidenceWorker{deps: b.deps}, args)
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, res.Job.Errors[len(res.Job.Errors)-1].Error, "seq 2 (dse_")
		require.Contains(t, res.Job.Errors[len(res.Job.Errors)-1].Error, "differs from the anchor in provider_payload, chain_hash")
	})

	t.Run("voids queue the anchor and it holds the voided row", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		chk := b.checkout(t)
		b.recordInbox(t, chk)
		_, docs, _ := b.sendPack(t, chk)
		res, err := work(t, b, &EndDocPackWorker{deps: b.deps}, EndDocPackArgs{Event: b.cancellation(t)})
		require.NoError(t, err)
		var anchors []string
		for _, j := range b.inserted(t, res) {
			if j.Kind == "anchor_evidence" {
				anchors = append(anchors, argsOf[AnchorEvidenceArgs](t, j).DocID)
			}
		}
		require.ElementsMatch(t, docs, anchors)

		mustComplete(t, b, &AnchorEvidenceWorker{deps: b.deps}, AnchorEvidenceArgs{DocID: docs[1]})
		_, a := b.anchorOf(t, docs[1])
		require.Equal(t, "voided", a.EnvelopeStatus)
		require.Equal(t, []string{"envelope_sent", "voided"}, []string{a.Events[0].Event, a.Events[1].Event})
	})

	t.Run("an envelope that has not ended is not anchored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		_, docs, _ := b.sendPack(t, b.checkout(t))
		puts := b.docs.puts
		res, err := work(t, b, &AnchorEvidenceWorker{deps: b.deps}, AnchorEvidenceArgs{DocID: docs[0]})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCancelled, res.EventKind)
		require.Contains(t, res.Job.Errors[0].Error, "the envelope is sent")
		require.Equal(t, puts, b.docs.puts)
	})
}
