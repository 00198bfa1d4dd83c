package cmd_test

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/infra"
	"trustdocs/testkit"
)

// A worker killed with SIGKILL in the middle of its work, then restarted: every message
// is processed exactly once, counted in its effects.
func TestWorkerKilledMidBatchThenRestartedProcessesEachMessageOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// maxReceiveCount 10: redelivery after the kill must not reach the DLQ.
	st := provision(t, func(c *config.Config) { c.MaxReceiveCount = 10 })
	cfg, clients, rep := st.cfg, st.clients, st.rep
	count := func(sql string) int { return st.count(t, sql) }

	const n = 300
	url := rep.QueueURLs[cfg.RiskQueue]
	for i := 0; i < n; i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < i+10; j++ {
			body := fmt.Sprintf(`{"id":"evt_kill_%03d","type":"risk.charge.failed","source":"test","occurred_at":"2026-11-20T12:00:00Z","data":{"user_id":"usr_%d"}}`, j, j%7)
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j)), MessageBody: aws.String(body)})
		}
		_, err := clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		require.NoError(t, err)
	}

	env := testkit.Env(cfg,
		"WORKER_ADDR=127.0.0.1:0",
		"RIVER_JOB_TIMEOUT=2s", "RIVER_RESCUE_AFTER=3s", "CONSUMER_CONCURRENCY=2")
	// Visibility 5s: a batch the killed worker held comes back quickly.
	_, err := clients.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"VisibilityTimeout": "5"}})
	require.NoError(t, err)

	start := func() *exec.Cmd { return startService(t, env, "worker").cmd }
	w := start()
	deadline := time.Now().Add(60 * time.Second)
	// Kill as soon as work is under way. Waiting for ledger rows let the consumer, which
	// commits up to 50 events per transaction, take all 300 into the inbox before the
	// first job ran on an idle machine, so the kill came after the end.
	for count(`select count(*) from inbox`) < 10 && count(`select count(*) from risk_event`) < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, w.Process.Signal(syscall.SIGKILL))
	_ = w.Wait()
	killedAt := count(`select count(*) from inbox`)
	require.Less(t, killedAt, n, "killed before the end")
	t.Logf("killed with %d of %d events in the inbox and %d ledger rows", killedAt, n, count(`select count(*) from risk_event`))

	start() // stopped when the test ends
	deadline = time.Now().Add(90 * time.Second)
	for count(`select count(*) from risk_event`) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}

	require.Equal(t, n, count(`select count(*) from inbox`), "every event accepted once")
	require.Equal(t, n, count(`select count(distinct args->>'event_id') from river_job where kind = 'record_risk_event'`))
	require.Equal(t, n, count(`select count(*) from river_job where kind = 'record_risk_event'`), "one job per event")
	require.Equal(t, n, count(`select count(*) from risk_event`), "one ledger row per event")
	deadline = time.Now().Add(30 * time.Second)
	for count(`select count(*) from river_job where state <> 'completed'`) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, 0, count(`select count(*) from river_job where state <> 'completed'`), "every job completed")
	depth, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	require.NoError(t, err)
	require.Equal(t, "0", depth.Attributes["ApproximateNumberOfMessages"])
	dlq, err := infra.QueueURL(ctx, cfg, clients.SQS, cfg.DLQ(cfg.RiskQueue))
	require.NoError(t, err)
	dl, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
	require.NoError(t, err)
	require.Equal(t, "0", dl.Attributes["ApproximateNumberOfMessages"], "nothing dead-lettered")
}

// A checkout delivered twice, and the worker killed while the pack is being built and
// rendered, still leaves one pack, one PDF version per document and one envelope each.
func TestDocPackSurvivesDuplicatesAndAKilledWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, func(c *config.Config) { c.MaxReceiveCount = 10 })
	cfg, clients, pool := st.cfg, st.clients, st.pool
	count := func(sql string, args ...any) int { return st.count(t, sql, args...) }
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0", "RIVER_JOB_TIMEOUT=2s", "RIVER_RESCUE_AFTER=3s")
	r := runBin(t, env, "pipelinectl", "content", "publish")
	require.Equal(t, 0, r.code, r.stderr)
	checkout := "../events/examples/booking.checkout.completed.json"
	r = runBin(t, env, "pipelinectl", "publish", checkout, checkout)
	require.Equal(t, 0, r.code, r.stderr)

	start := func() *exec.Cmd { return startService(t, env, "worker").cmd }
	w := start()
	deadline := time.Now().Add(60 * time.Second)
	for count(`select count(*) from doc_pack`) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, w.Process.Signal(syscall.SIGKILL))
	_ = w.Wait()
	t.Logf("killed with %d documents rendered of %d", count(`select count(*) from doc_instance where render_pdf_sha256 is not null`), count(`select count(*) from doc_instance`))

	r = runBin(t, env, "pipelinectl", "publish", checkout) // and a third copy after the crash
	require.Equal(t, 0, r.code, r.stderr)
	start() // stopped when the test ends
	deadline = time.Now().Add(90 * time.Second)
	for count(`select count(*) from doc_instance where envelope_status = 'sent'`) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, 1, count(`select count(*) from doc_pack`), "one pack")
	require.Equal(t, 1, count(`select count(*) from doc_pack where status = 'issued'`))
	require.Equal(t, 2, count(`select count(*) from doc_instance where envelope_status = 'sent'`))
	require.Equal(t, 2, count(`select count(*) from doc_sign_event where event = 'envelope_sent'`), "one envelope per document")
	require.Equal(t, 1, count(`select count(*) from inbox`), "three deliveries, one event")

	rows, err := pool.Query(ctx, `select doc_id, pack_id from doc_instance`)
	require.NoError(t, err)
	for rows.Next() {
		var docID, packID string
		require.NoError(t, rows.Scan(&docID, &packID))
		for _, key := range []string{docstore.KeysFor(cfg.DocsEnv, packID, docID, 1).PDF, docstore.KeysFor(cfg.DocsEnv, packID, docID, 1).Envelope} {
			v, err := clients.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(cfg.DocsBucket), Prefix: aws.String(key)})
			require.NoError(t, err)
			require.Len(t, v.Versions, 1, "one version of %s", key)
		}
	}
	require.NoError(t, rows.Err())

	var docID string
	require.NoError(t, pool.QueryRow(ctx, `select doc_id from doc_instance order by doc_id limit 1`).Scan(&docID))
	r = runBin(t, env, "pipelinectl", "doc", "verify", docID)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "ok       re-render")
}
