package cmd_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/infra"
	"trustdocs/testkit"
)

// A worker killed with SIGKILL in the middle of its work, then restarted: every message
// is processed exactly once, counted in its effects.
func TestWorkerKilledMidBatchThenRestartedProcessesEachMessageOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	cfg.MaxReceiveCount = 10 // redelivery after the kill must not reach the DLQ
	testkit.DB(t, &cfg)
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	count := func(sql string) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql).Scan(&n))
		return n
	}

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
	_, err = clients.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"VisibilityTimeout": "5"}})
	require.NoError(t, err)

	start := func() *exec.Cmd {
		cmd := exec.Command(filepath.Join(binDir, "worker"))
		cmd.Env = env
		require.NoError(t, cmd.Start())
		return cmd
	}
	w := start()
	deadline := time.Now().Add(60 * time.Second)
	for count(`select count(*) from risk_event`) < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, w.Process.Signal(syscall.SIGKILL))
	_ = w.Wait()
	killedAt := count(`select count(*) from inbox`)
	require.Less(t, killedAt, n, "killed before the end")
	t.Logf("killed with %d of %d events in the inbox and %d ledger rows", killedAt, n, count(`select count(*) from risk_event`))

	w = start()
	t.Cleanup(func() { _ = w.Process.Signal(syscall.SIGTERM); _ = w.Wait() })
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
