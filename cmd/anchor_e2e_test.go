package cmd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/store"
	"trustdocs/testkit"
)

// Through the real binaries: a checkout's pack is issued and sent, then the checkout
// is cancelled, which voids its envelopes; the worker anchors each document's evidence
// in S3 (SSE-KMS with the local MinIO's key: DOCS_KMS_KEY_ID). `doc verify` passes and
// `trace` shows the anchor. Then the chain is rewritten in PostgreSQL — a row's payload
// and every later hash, with the append-only trigger off, as the table's owner could —
// so the chain alone checks out, and `doc verify` fails naming that row.
func TestDocVerifyCatchesAChainRewrittenAfterAnchoring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	cfg, clients := st.cfg, st.clients
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0", "DOCS_KMS_KEY_ID="+config.LocalKMSKeyID)
	logs := startBin(t, env, "worker")
	count := func(sql string) int { return st.count(t, sql) }
	wait := func(what, sql string, n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for count(sql) != n && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		require.Equal(t, n, count(sql), "%s; worker log:\n%s", what, logs)
	}

	for _, args := range [][]string{{"content", "publish"}, {"publish", "../events/examples/booking.checkout.completed.json"}} {
		r := runBin(t, env, "pipelinectl", args...)
		require.Equal(t, 0, r.code, r.stderr)
	}
	wait("envelopes sent", `select count(*)::int from doc_instance where envelope_status = 'sent'`, 2)
	r := runBin(t, env, "pipelinectl", "publish", "../events/examples/booking.checkout.cancelled.json")
	require.Equal(t, 0, r.code, r.stderr)
	wait("anchors", `select count(*)::int from river_job where kind = 'anchor_evidence' and state = 'completed'`, 2)

	docID := st.text(t, `select min(doc_id) from doc_instance`)
	packID := st.text(t, `select pack_id from doc_pack`)
	key := docstore.KeysFor(cfg.DocsEnv, packID, docID, 1).Evidence
	head, err := clients.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cfg.DocsBucket), Key: aws.String(key)})
	require.NoError(t, err)
	require.Equal(t, s3types.ServerSideEncryptionAwsKms, head.ServerSideEncryption, "the anchor is stored with SSE-KMS")
	require.Equal(t, s3types.ObjectLockModeCompliance, head.ObjectLockMode, "under the bucket's lock")

	r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "ok       evidence anchor 2 rows match evidence_"+docID+".json")

	r = runBin(t, env, "pipelinectl", "doc", "anchor", docID)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "of "+docID+" exists already (completed)", "queued again, it is the same job")

	r = runBin(t, env, "pipelinectl", "trace", docID)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "evidence of "+docID+" anchored at s3://"+cfg.DocsBucket+"/"+key)
	require.Contains(t, r.stdout, `anchor_evidence job`)
	require.Contains(t, r.stdout, `"outcome":"anchored"`)

	tx, err := st.pool.Begin(ctx)
	require.NoError(t, err)
	testkit.RewriteSignChain(t, ctx, tx, docID, 1, `{"envelope_id": "env_forged"}`)
	require.NoError(t, tx.Commit(ctx))
	breaks, _, err := store.VerifySignChain(ctx, st.pool, docID)
	require.NoError(t, err)
	require.Empty(t, breaks, "the rewritten chain checks out on its own")
	sent := st.text(t, `select sign_event_id from doc_sign_event where doc_id = '`+docID+`' and seq = 1`)

	r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
	require.NotEqual(t, 0, r.code, r.stdout)
	require.Contains(t, r.stdout, "ok       evidence chain", "the chain alone is fooled")
	require.Contains(t, r.stdout, "MISMATCH evidence anchor the database was changed after anchoring: seq 1 ("+sent+
		") differs from the anchor in provider_payload, chain_hash; 2 of 2 anchored rows differ")
	require.Contains(t, r.stderr, "verification failed")
	t.Logf("doc verify after the rewrite:\n%s", r.stdout)
	require.False(t, strings.Contains(r.stdout, "MISMATCH retention"), r.stdout)
}
