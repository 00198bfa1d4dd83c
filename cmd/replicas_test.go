package cmd_test

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/infra"
	"trustdocs/testkit"
)

// Two worker replicas on one database, queues and bucket (how the worker scales out),
// every checkout delivered twice, and one replica killed and restarted mid-way: each
// checkout still gets one pack, each document one PDF version and one envelope, and
// each pack one doc_pack.issued event.
func TestTwoReplicasNeverDuplicateAnEffect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, func(c *config.Config) { c.MaxReceiveCount = 10 })
	env := testkit.Env(st.cfg, "WORKER_ADDR=127.0.0.1:0", "RIVER_JOB_TIMEOUT=2s", "RIVER_RESCUE_AFTER=3s")
	r := runBin(t, env, "pipelinectl", "content", "publish")
	require.Equal(t, 0, r.code, r.stderr)
	topic, err := infra.TopicARN(ctx, st.cfg, st.clients.SNS, st.cfg.BookingTopic)
	require.NoError(t, err)

	start := func() *exec.Cmd { return startService(t, env, "worker").cmd }
	a := start()
	startBin(t, env, "worker") // the replica that is not killed

	checkouts := benchCheckouts(t, 0, 30) // 20 packs of two documents, 10 of one
	publishCheckouts(t, st, topic, checkouts)
	publishCheckouts(t, st, topic, checkouts) // the booking system retried every one
	eventually(t, 60*time.Second, func() bool { return st.count(t, `select count(*) from doc_pack where status = 'issued'`) >= 10 },
		"packs issued before the kill")
	require.NoError(t, a.Process.Signal(syscall.SIGKILL))
	_ = a.Wait()
	start() // stopped when the test ends

	const docs = 50
	eventually(t, 120*time.Second, func() bool {
		return st.count(t, `select count(*) from doc_instance where envelope_status = 'sent'`) == docs &&
			st.count(t, `select count(*) from river_job where state not in ('completed', 'cancelled', 'discarded') and kind <> 'prune_operational_tables' and kind <> 'roll_risk_windows'`) == 0
	}, "every envelope sent and every job done")

	require.Equal(t, len(checkouts), st.count(t, `select count(*) from inbox`), "two deliveries, one event")
	require.Equal(t, len(checkouts), st.count(t, `select count(*) from doc_pack`), "one pack per checkout")
	require.Equal(t, len(checkouts), st.count(t, `select count(*) from doc_pack where status = 'issued'`))
	require.Equal(t, docs, st.count(t, `select count(*) from doc_instance`))
	require.Equal(t, docs, st.count(t, `select count(*) from doc_sign_event where event = 'envelope_sent'`), "one envelope per document")
	require.Equal(t, len(checkouts), st.count(t, `select count(*) from river_job where kind = 'publish_event' and args->'event'->>'type' = 'doc_pack.issued'`),
		"one doc_pack.issued per pack")
	require.Zero(t, st.count(t, `select count(*) from river_job where state in ('discarded', 'cancelled')`), "nothing given up")

	rows, err := st.pool.Query(ctx, `select doc_id, pack_id from doc_instance`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var docID, packID string
		require.NoError(t, rows.Scan(&docID, &packID))
		keys := docstore.KeysFor(st.cfg.DocsEnv, packID, docID, 1)
		for _, key := range []string{keys.PDF, keys.Hash, keys.Envelope} {
			v, err := st.clients.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(st.cfg.DocsBucket), Prefix: aws.String(key)})
			require.NoError(t, err)
			require.Len(t, v.Versions, 1, "one version of %s", key)
		}
	}
	require.NoError(t, rows.Err())
}
