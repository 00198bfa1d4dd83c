package workers_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/evidence"
	"trustdocs/store"
	"trustdocs/testkit"
	"trustdocs/workers"
)

// The anchor against the real stack: a cancellation voids a pack's envelopes, each void
// queues its document's anchor (River), which lands write-once in MinIO under the
// bucket's lock and encrypted with the KMS key; `doc verify` (evidence.Verify) matches
// the database with it, and once the chain is rewritten in PostgreSQL — hashes
// recomputed, triggers off, so the chain itself checks out — names the row that differs.
func TestAnchoredEvidenceCatchesAChainRewrittenInPostgres(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *workers.Deps) {
		store := d.Docs.(docstore.Store)
		store.KMSKeyID = config.LocalKMSKeyID
		d.Docs = store
	})
	packID, docs := b.issuePack(t)
	params, err := workers.JobsFor(testkit.Example(t, "booking.checkout.cancelled", nil))
	require.NoError(t, err)
	_, err = b.river.InsertMany(b.ctx, params)
	require.NoError(t, err)
	b.waitJobs(t, evidence.AnchorJobKind, 2)
	docID := docs[0]

	r, err := evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
	require.Equal(t, evidence.AnchorMatches, r.Anchor.State)
	require.Equal(t, 2, r.Anchor.Rows, "envelope_sent and voided")
	require.Equal(t, b.docs().Keys(packID, docID, 1).Evidence, r.Anchor.Key)
	require.Contains(t, checkDetail(r, "evidence anchor"), "2 rows match evidence_"+docID+".json")
	require.Contains(t, checkDetail(r, "evidence anchor"), "COMPLIANCE until", "the anchor is under the bucket's lock")
	lock, err := b.docs().LockOf(b.ctx, r.Anchor.Key)
	require.NoError(t, err)
	require.Equal(t, "aws:kms", lock.Encryption, "the anchor is stored encrypted with the KMS key")
	require.Equal(t, "aws:kms (key "+lock.KMSKeyID+")", r.Encryption, "and so is the PDF")

	tx, err := b.pool.Begin(b.ctx)
	require.NoError(t, err)
	testkit.RewriteSignChain(t, b.ctx, tx, docID, 2, `{"envelope_id": "forged", "reason": "signed after all"}`)
	require.NoError(t, tx.Commit(b.ctx))
	breaks, n, err := store.VerifySignChain(b.ctx, b.pool, docID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Empty(t, breaks, "the rewritten chain checks out on its own")

	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.False(t, r.OK())
	require.Equal(t, []string{"evidence anchor"}, failed(r))
	require.Equal(t, evidence.AnchorDiffers, r.Anchor.State)
	require.Len(t, r.Anchor.Differences, 1)
	d := r.Anchor.Differences[0]
	require.Equal(t, 2, *d.Seq)
	require.Equal(t, []string{"provider_payload", "chain_hash"}, d.Fields)
	require.Contains(t, checkDetail(r, "evidence anchor"), "seq 2 ("+d.SignEventID+") differs from the anchor in provider_payload, chain_hash")

	// The other document is untouched and still matches.
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docs[1])
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
}

// A document whose envelope ended with no anchor and no job to write it is reported
// missing; a queued job makes it pending (not a mismatch: nothing is contradicted yet);
// once the job ran, it matches.
func TestVerifyReportsAMissingThenPendingAnchor(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, docs := b.issuePack(t)
	docID := docs[0]
	_, err := b.pool.Exec(b.ctx, `update doc_instance set envelope_status = 'expired' where doc_id = $1`, docID)
	require.NoError(t, err) // an end recorded by a path that queued no anchor

	r, err := evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.Equal(t, []string{"evidence anchor"}, failed(r))
	require.Equal(t, evidence.AnchorMissing, r.Anchor.State)
	require.Contains(t, checkDetail(r, "evidence anchor"), "missing: the envelope is expired but s3://"+b.cfg.DocsBucket+"/"+r.Anchor.Key+
		" does not exist and no anchor_evidence job is known for it")

	job, err := b.river.Insert(b.ctx, workers.AnchorEvidenceArgs{DocID: docID}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
	require.Equal(t, evidence.AnchorPending, r.Anchor.State)
	require.Contains(t, checkDetail(r, "evidence anchor"), "pending: the envelope is expired and anchor_evidence job")

	_, err = b.river.JobRetry(b.ctx, job.Job.ID) // due now
	require.NoError(t, err)
	b.waitJobs(t, evidence.AnchorJobKind, 1)
	r, err = evidence.Verify(b.ctx, b.pool, b.docs(), docID)
	require.NoError(t, err)
	require.True(t, r.OK(), "%+v", r.Checks)
	require.Equal(t, evidence.AnchorMatches, r.Anchor.State)
}

func checkDetail(r evidence.Report, name string) string {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Detail
		}
	}
	return ""
}
