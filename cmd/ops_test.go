package cmd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"trustdocs/consumer"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/testkit"
	"trustdocs/trustcache"
	"trustdocs/workers"
)

// depth is a queue's visible plus in-flight messages.
func (s *stack) depth(t *testing.T, queue string) int {
	t.Helper()
	out, err := s.clients.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.rep.QueueURLs[queue]),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	require.NoError(t, err)
	a, err := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	require.NoError(t, err)
	b, err := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	require.NoError(t, err)
	return a + b
}

func (s *stack) send(t *testing.T, queue string, bodies ...string) {
	t.Helper()
	for i := 0; i < len(bodies); i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j, body := range bodies[i:min(i+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j)), MessageBody: aws.String(body)})
		}
		out, err := s.clients.SQS.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.rep.QueueURLs[queue]), Entries: entries})
		require.NoError(t, err)
		require.Empty(t, out.Failed)
	}
}

func eventually(t *testing.T, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func riskBody(id, typ, user string) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"source":"booking","occurred_at":"2026-11-20T12:00:00Z","data":{"user_id":%q,"booking_id":"bkg_drill"}}`, id, typ, user)
}

type dlqMessage struct {
	MessageID  string `json:"message_id"`
	EventID    string `json:"event_id"`
	Type       string `json:"type"`
	Subject    string `json:"subject"`
	ErrorClass string `json:"error_class"`
	ErrorText  string `json:"error_text"`
	ErrorFrom  string `json:"error_from"`
	Receives   int    `json:"receive_count"`
	First      string `json:"first_failure"`
}

// The on-call drill: a poison message and a transient failure (the ledger's dependency
// down for one event type) reach the DLQ; on-call lists and reads them, the cause is
// fixed (the fixed worker build runs), a dry run shows what would move, the replay of
// only the affected type moves exactly those, and every event is processed exactly once
// — including one that had already been processed before it was delivered again — with
// the replay on the record. The poison and an unrelated dead letter stay, until an
// audited purge.
func TestDLQDrillReplaysOnlyTheAffectedTypeExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil) // maxReceiveCount 2
	cfg := st.cfg
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0", "TRUSTDOCS_ACTOR=")
	riskDLQ := cfg.DLQ(cfg.RiskQueue)
	count := func(sql string, args ...any) int { return st.count(t, sql, args...) }

	// The broken build: the real consumer, with the dependency of risk.charge.failed
	// failing (a transient error: retried, then moved to the DLQ by the redrive policy).
	var broken atomic.Bool
	dispatch := func(e events.Envelope) ([]river.InsertManyParams, error) {
		if broken.Load() && e.Type == events.ChargeFailed {
			return nil, errors.New("ledger dependency unavailable (injected by the drill)")
		}
		return workers.JobsFor(e)
	}
	rc, err := river.NewClient(riverpgxv5.New(st.pool), &river.Config{Hooks: jobmeta.Hooks()})
	require.NoError(t, err)
	c := consumer.New(consumer.Options{Queue: cfg.RiskQueue, QueueURL: st.rep.QueueURLs[cfg.RiskQueue], DLQURL: st.rep.QueueURLs[riskDLQ],
		WaitTime: 1, BackoffBase: time.Second, BackoffMax: 2 * time.Second, BatchBudget: 5 * time.Second},
		st.clients.SQS, st.pool, rc, dispatch, consumer.NewMetrics(nil), zerolog.Nop())
	cctx, stopConsumer := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.Run(cctx); close(done) }()

	// evt_cf_0 is processed while everything works...
	st.send(t, cfg.RiskQueue, riskBody("evt_cf_0", events.ChargeFailed, "usr_drill_0"))
	eventually(t, 60*time.Second, func() bool { return count(`select count(*) from inbox where event_id = 'evt_cf_0'`) == 1 }, "evt_cf_0 accepted")
	var firstMessage string
	require.NoError(t, st.pool.QueryRow(ctx, `select message_id from inbox where event_id = 'evt_cf_0'`).Scan(&firstMessage))

	// ...then the dependency breaks; upstream delivers evt_cf_0 again, three new charge
	// failures, two disputes, a window request missing its end (schema-invalid), and a poison message.
	broken.Store(true)
	st.send(t, cfg.RiskQueue,
		riskBody("evt_cf_0", events.ChargeFailed, "usr_drill_0"),
		riskBody("evt_cf_1", events.ChargeFailed, "usr_drill_1"),
		riskBody("evt_cf_2", events.ChargeFailed, "usr_drill_2"),
		riskBody("evt_cf_3", events.ChargeFailed, "usr_drill_3"),
		riskBody("evt_dsp_1", events.DisputeOpened, "usr_drill_1"),
		riskBody("evt_dsp_2", events.DisputeOpened, "usr_drill_2"),
		`{"id":"evt_win_1","type":"risk.window.recompute","source":"booking","occurred_at":"2026-11-20T12:00:00Z","data":{"user_id":"usr_drill_1","window_start":"2026-08-26"}}`,
		`{"id": "evt_poison", "type": "risk.charge.failed", "data": {`,
	)
	eventually(t, 90*time.Second, func() bool { return st.depth(t, riskDLQ) == 6 && st.depth(t, cfg.RiskQueue) == 0 },
		"4 charge failures, the schema-invalid event and the poison in the DLQ (dlq %d, queue %d)", st.depth(t, riskDLQ), st.depth(t, cfg.RiskQueue))
	stopConsumer()
	<-done
	require.Equal(t, 3, count(`select count(*) from inbox`), "evt_cf_0 and the two disputes")

	// On-call sees the DLQ...
	r := runBin(t, env, "pipelinectl", "dlq", "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, riskDLQ+`\s+6\s+0\s+\d\S*\s`, r.stdout)
	t.Logf("dlq list:\n%s", r.stdout)
	// ...reads each message, explained, without removing any.
	r = runBin(t, env, "pipelinectl", "dlq", "show", "--queue", cfg.RiskQueue, "--limit", "0", "--json", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	var shown []dlqMessage
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &shown), r.stdout)
	require.Len(t, shown, 6)
	byEvent := map[string]dlqMessage{}
	for _, m := range shown {
		byEvent[m.EventID] = m
	}
	for _, id := range []string{"evt_cf_0", "evt_cf_1", "evt_cf_2", "evt_cf_3"} {
		m := byEvent[id]
		require.Equal(t, events.ChargeFailed, m.Type, id)
		require.Equal(t, "internal", m.ErrorClass, id)
		require.Contains(t, m.ErrorText, "ledger dependency unavailable", id)
		require.Equal(t, "message_failure", m.ErrorFrom, "moved by the redrive policy: explained by the recorded failure")
		require.GreaterOrEqual(t, m.Receives, 2, id)
		require.NotEmpty(t, m.First, id)
		require.True(t, strings.HasPrefix(m.Subject, "usr_drill_"), id)
	}
	require.Equal(t, "schema", byEvent["evt_win_1"].ErrorClass, "a window request without its end")
	require.Equal(t, "malformed", byEvent[""].ErrorClass, "the poison message")
	require.Equal(t, 6, st.depth(t, riskDLQ), "show leaves every message in place")
	r = runBin(t, env, "pipelinectl", "dlq", "show", "--queue", riskDLQ, "--limit", "2", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "2 message(s) shown, oldest first, all left in place")
	t.Logf("dlq show:\n%s", r.stdout)
	require.Contains(t, r.stdout, "  error      ")

	// The cause is fixed: the fixed build runs.
	workerLogs := startBin(t, env, "worker")

	// A dry run lists exactly the affected type and changes nothing.
	r = runBin(t, env, "pipelinectl", "dlq", "replay", "--queue", cfg.RiskQueue, "--type", events.ChargeFailed, "--dry-run", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "dry run: 4 message(s) would move, 2 would stay")
	require.Equal(t, 4, strings.Count(r.stdout, "would move    "), r.stdout)
	require.Equal(t, 6, st.depth(t, riskDLQ))
	require.Equal(t, 0, count(`select count(*) from ops_action`), "a dry run is not an action")

	// A replay needs a reason.
	r = runBin(t, env, "pipelinectl", "dlq", "replay", "--queue", cfg.RiskQueue, "--type", events.ChargeFailed)
	requireOneLineError(t, r, "--reason is required")

	r = runBin(t, env, "pipelinectl", "dlq", "replay", "--queue", cfg.RiskQueue, "--type", events.ChargeFailed, "--rate", "20/s",
		"--reason", "drill: ledger dependency restored", "--actor", "oncall-drill", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "4 message(s) moved, 2 left in "+riskDLQ)
	require.Equal(t, 4, strings.Count(r.stdout, "moved    "), r.stdout)
	t.Logf("dlq replay:\n%s", r.stdout)

	// Every event exactly once: one inbox row, one job, one ledger row each.
	eventually(t, 90*time.Second, func() bool {
		return count(`select count(*) from risk_event`) == 6 && count(`select count(*) from river_job where state <> 'completed'`) == 0
	}, "ledger rows (%d)", count(`select count(*) from risk_event`))
	for _, id := range []string{"evt_cf_0", "evt_cf_1", "evt_cf_2", "evt_cf_3", "evt_dsp_1", "evt_dsp_2"} {
		require.Equal(t, 1, count(`select count(*) from inbox where event_id = $1`, id), id)
		require.Equal(t, 1, count(`select count(*) from river_job where kind = 'record_risk_event' and args->>'event_id' = $1`, id), id)
		require.Equal(t, 1, count(`select count(*) from risk_event where event_id = $1`, id), id)
	}
	require.Equal(t, 1, count(`select count(*) from inbox where event_id = 'evt_cf_0' and message_id = $1`, firstMessage),
		"the replayed copy of an already processed event was a no-op")
	require.Equal(t, 6, count(`select count(*) from inbox`))
	require.Equal(t, 0, st.depth(t, cfg.RiskQueue))
	// The worker's log follows the replay by its id.
	var replayID string
	require.NoError(t, st.pool.QueryRow(ctx, `select action_id from ops_action where action = 'dlq_replay'`).Scan(&replayID))
	logged := map[string]bool{}
	for _, line := range strings.Split(workerLogs.String(), "\n") {
		var l struct {
			Message  string `json:"message"`
			EventID  string `json:"event_id"`
			ReplayID string `json:"replay_id"`
			Already  bool   `json:"already_processed"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Message == "replayed event accepted" {
			require.Equal(t, replayID, l.ReplayID)
			logged[l.EventID] = l.Already
		}
	}
	require.Equal(t, map[string]bool{"evt_cf_0": true, "evt_cf_1": false, "evt_cf_2": false, "evt_cf_3": false}, logged)

	// The replay is on the record: who, why, which messages and their copies.
	require.Equal(t, 1, count(`select count(*) from ops_action where action = 'dlq_replay' and actor = 'oncall-drill'
		and reason = 'drill: ledger dependency restored' and queue = $1 and items = 4 and finished_at is not null
		and filter_json->>'type' = 'risk.charge.failed'`, riskDLQ))
	require.Equal(t, 4, count(`select count(*) from ops_action_item i join inbox on inbox.event_id = i.event_id
		where i.event_type = 'risk.charge.failed' and i.new_message_id is not null`))
	require.Equal(t, 3, count(`select count(*) from ops_action_item i join inbox on inbox.message_id = i.new_message_id`),
		"the three new events were accepted from the replayed copies")

	// The poison and the schema-invalid event stay in the DLQ.
	r = runBin(t, env, "pipelinectl", "dlq", "show", "--queue", cfg.RiskQueue, "--json", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stderr)
	shown = nil
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &shown))
	classes := []string{}
	for _, m := range shown {
		classes = append(classes, m.ErrorClass)
	}
	require.ElementsMatch(t, []string{"malformed", "schema"}, classes)

	// trace shows an event's failure, replay and processing.
	r = runBin(t, env, "pipelinectl", "trace", "evt_cf_2")
	require.Equal(t, 0, r.code, r.stderr)
	t.Logf("trace evt_cf_2:\n%s", r.stdout)
	for _, want := range []string{"failure", "ledger dependency unavailable", "dlq_replay", "by oncall-drill", "inbox", "record_risk_event job", "risk ledger: charge_failures for usr_drill_2"} {
		require.Contains(t, r.stdout, want)
	}

	// Purge asks for the DLQ's name; a wrong answer deletes nothing.
	r = runBinIn(t, env, "yes\n", "pipelinectl", "dlq", "purge", "--queue", cfg.RiskQueue, "--reason", "drill leftovers")
	requireOneLineError(t, r, "not confirmed: nothing deleted")
	require.Equal(t, 2, st.depth(t, riskDLQ))
	r = runBinIn(t, append(env, "TRUSTDOCS_ACTOR=oncall-env"), riskDLQ+"\n", "pipelinectl", "dlq", "purge", "--queue", cfg.RiskQueue,
		"--reason", "drill leftovers", "--visibility", "5s")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "2 message(s) deleted from "+riskDLQ)
	require.Equal(t, 0, st.depth(t, riskDLQ))
	require.Equal(t, 1, count(`select count(*) from ops_action where action = 'dlq_purge' and actor = 'oncall-env' and items = 2`),
		"the actor comes from TRUSTDOCS_ACTOR")
	require.Equal(t, 1, count(`select count(*) from ops_action_item i join ops_action a using (action_id)
		where a.action = 'dlq_purge' and i.event_id = 'evt_win_1'`))
}

// A replay while live traffic flows through the same queue loses nothing and duplicates
// nothing: every event, replayed, live, or both, is processed once.
func TestDLQReplayDuringLiveTrafficLosesNothingAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	cfg := st.cfg
	env := testkit.Env(cfg, "WORKER_ADDR=127.0.0.1:0")
	riskDLQ := cfg.DLQ(cfg.RiskQueue)
	count := func(sql string, args ...any) int { return st.count(t, sql, args...) }

	// 40 dead letters (as the consumer leaves them: reason attributes, source queue);
	// 10 of them are also delivered live during the replay.
	const dead, live, overlap = 40, 60, 10
	var entries []sqstypes.SendMessageBatchRequestEntry
	attr := func(v string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	for i := 0; i < dead; i++ {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i % 10)),
			MessageBody: aws.String(riskBody(fmt.Sprintf("evt_dead_%02d", i), events.DeliveryLate, fmt.Sprintf("usr_l_%d", i%5))),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				events.TypeAttribute: attr(events.DeliveryLate), consumer.AttrErrorClass: attr("unhandled"),
				consumer.AttrErrorText: attr("no job for this type in this build"), consumer.AttrSourceQueue: attr(cfg.RiskQueue),
				consumer.AttrFirstFailure: attr(time.Now().UTC().Format(time.RFC3339)),
				consumer.AttrReceiveCount: {DataType: aws.String("Number"), StringValue: aws.String("1")},
			}})
		if len(entries) == 10 {
			_, err := st.clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(st.rep.QueueURLs[riskDLQ]), Entries: entries})
			require.NoError(t, err)
			entries = nil
		}
	}
	require.Equal(t, dead, st.depth(t, riskDLQ))
	startBin(t, env, "worker")

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // live traffic: 60 new events and 10 of the dead ones, over about 3 seconds
		defer wg.Done()
		var bodies []string
		for i := 0; i < live; i++ {
			bodies = append(bodies, riskBody(fmt.Sprintf("evt_live_%02d", i), events.DisputeOpened, fmt.Sprintf("usr_l_%d", i%5)))
			if i < overlap {
				bodies = append(bodies, riskBody(fmt.Sprintf("evt_dead_%02d", i*3), events.DeliveryLate, fmt.Sprintf("usr_l_%d", (i*3)%5)))
			}
		}
		for len(bodies) > 0 {
			n := min(7, len(bodies))
			st.send(t, cfg.RiskQueue, bodies[:n]...)
			bodies = bodies[n:]
			time.Sleep(250 * time.Millisecond)
		}
	}()
	r := runBin(t, env, "pipelinectl", "dlq", "replay", "--queue", riskDLQ, "--rate", "15/s", "--reason", "late-delivery handler shipped",
		"--actor", "oncall-live", "--visibility", "5s")
	wg.Wait()
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, fmt.Sprintf("%d message(s) moved, 0 left", dead))

	eventually(t, 120*time.Second, func() bool {
		return count(`select count(*) from risk_event`) == dead+live && count(`select count(*) from river_job where state <> 'completed'`) == 0
	}, "ledger rows: %d of %d", count(`select count(*) from risk_event`), dead+live)
	require.Equal(t, dead+live, count(`select count(*) from inbox`), "every event accepted once")
	require.Equal(t, dead+live, count(`select count(*) from river_job where kind = 'record_risk_event'`), "one job per event")
	require.Equal(t, dead+live, count(`select count(distinct event_id) from risk_event`))
	eventually(t, 30*time.Second, func() bool { return st.depth(t, cfg.RiskQueue) == 0 }, "queue drained")
	require.Equal(t, 0, st.depth(t, riskDLQ), "nothing dead-lettered again")
	require.Equal(t, dead, count(`select count(*) from ops_action_item`))
}

// jobs list shows failed River jobs with their errors; after the cause is fixed, jobs
// retry (by id, and by kind) runs them again through River, on the record.
func TestJobsListAndRetryFailedJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := provision(t, nil)
	workerAddr := freeAddr(t)
	env := testkit.Env(st.cfg, "WORKER_ADDR="+workerAddr, "RIVER_JOB_TIMEOUT=1s", "RIVER_RESCUE_AFTER=2s", "TRUSTDOCS_ACTOR=oncall-jobs")
	count := func(sql string, args ...any) int { return st.count(t, sql, args...) }

	// The cause: the ledger table is locked, so ledger jobs time out.
	lock, err := st.pool.Begin(ctx)
	require.NoError(t, err)
	defer lock.Rollback(ctx)
	_, err = lock.Exec(ctx, `lock table risk_event in access exclusive mode`)
	require.NoError(t, err)

	rc, err := river.NewClient(riverpgxv5.New(st.pool), &river.Config{Hooks: jobmeta.Hooks()})
	require.NoError(t, err)
	job := func(id string, maxAttempts int) int64 {
		res, err := rc.Insert(ctx, workers.RecordRiskEventArgs{EventID: id, Signal: "late_delivery", UserIDs: []string{"usr_jobs"},
			OccurredAt: time.Now().UTC()}, &river.InsertOpts{MaxAttempts: maxAttempts})
		require.NoError(t, err)
		return res.Job.ID
	}
	job("evt_job_1", 1)
	job("evt_job_2", 1)
	retryable := job("evt_job_3", 25)
	startBin(t, env, "worker")
	eventually(t, 60*time.Second, func() bool {
		return count(`select count(*) from river_job where state = 'discarded'`) == 2 && count(`select count(*) from river_job where kind = 'record_risk_event' and state = 'retryable'`) == 1
	}, "jobs failed")

	// The worker's metrics show what to alert on: failed jobs, queue and DLQ depth.
	_, metrics := call(t, "http://"+workerAddr+"/metrics", "")
	require.Contains(t, metrics, `trustdocs_river_jobs_failed{kind="all",state="discarded"} 2`)
	require.Contains(t, metrics, `trustdocs_river_jobs_failed{kind="record_risk_event",state="retryable"} 1`)
	require.Contains(t, metrics, `trustdocs_queue_messages{queue="`+st.cfg.DLQ(st.cfg.CheckoutQueue)+`",state="visible"} 0`)

	r := runBin(t, env, "pipelinectl", "jobs", "list", "--state", "discarded")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 2, strings.Count(r.stdout, "record_risk_event  discarded"), r.stdout)
	require.Contains(t, r.stdout, "evt_job_1")
	require.Contains(t, r.stdout, "context deadline exceeded")
	r = runBin(t, env, "pipelinectl", "jobs", "list", "--state", "retryable", "--kind", "record_risk_event")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, fmt.Sprintf("%d  ", retryable))
	require.NotContains(t, r.stdout, "discarded")
	// (The worker's start-up roll of the risk windows reads the same locked table and may
	// be failing too: list only the ledger jobs.)
	r = runBin(t, env, "pipelinectl", "jobs", "list", "--json", "--kind", "record_risk_event")
	require.Equal(t, 0, r.code, r.stderr)
	var listed []struct {
		ID      int64  `json:"id"`
		State   string `json:"state"`
		Subject string `json:"subject"`
		Args    struct {
			EventID string `json:"event_id"`
		} `json:"args"`
		Errors []struct {
			Error string `json:"error"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &listed), r.stdout)
	require.Len(t, listed, 3)
	for _, j := range listed {
		require.Equal(t, j.Subject, j.Args.EventID)
		require.NotEmpty(t, j.Errors)
	}
	r = runBin(t, env, "pipelinectl", "jobs", "list", "--state", "lost")
	requireOneLineError(t, r, `--state "lost"`)

	// The cause is fixed; retry one by id, then the rest by kind.
	require.NoError(t, lock.Rollback(ctx))
	r = runBin(t, env, "pipelinectl", "jobs", "retry", fmt.Sprint(retryable), "--reason", "ledger unlocked")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "1 job(s) made available")
	r = runBin(t, env, "pipelinectl", "jobs", "retry", "--kind", "record_risk_event", "--state", "discarded", "--reason", "ledger unlocked")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "2 job(s) made available")
	eventually(t, 60*time.Second, func() bool {
		return count(`select count(*) from river_job where kind = 'record_risk_event' and state = 'completed'`) == 3 &&
			count(`select count(*) from river_job where state <> 'completed' and kind <> 'roll_risk_windows'`) == 0
	}, "jobs completed")
	require.Equal(t, 3, count(`select count(*) from risk_event where user_id = 'usr_jobs'`))
	_, metrics = call(t, "http://"+workerAddr+"/metrics", "")
	require.Contains(t, metrics, `trustdocs_river_jobs_failed{kind="all",state="discarded"} 0`)
	require.Equal(t, 2, count(`select count(*) from ops_action where action = 'job_retry' and actor = 'oncall-jobs' and reason = 'ledger unlocked'`))
	require.Equal(t, 3, count(`select count(*) from ops_action_item i join ops_action a using (action_id) where a.action = 'job_retry'`))
	r = runBin(t, env, "pipelinectl", "jobs", "retry", "12345678")
	requireOneLineError(t, r, "job 12345678 not found")

	// trace of the user: the ledger rows, the jobs with their failed attempt, the trust
	// version and the cache item the recompute refreshed.
	_, found, err := trustcache.Table{DB: st.clients.DynamoDB, Name: st.cfg.TrustCacheTable}.Get(ctx, "usr_jobs")
	require.NoError(t, err)
	require.True(t, found, "the risk recompute refreshed the cache")
	r = runBin(t, env, "pipelinectl", "trace", "usr_jobs", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var tr struct {
		Kind    string
		Entries []struct {
			Kind, Summary string
			Errors        []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tr))
	require.Equal(t, "user", tr.Kind)
	kinds := map[string]int{}
	failed := 0
	for _, e := range tr.Entries {
		kinds[e.Kind]++
		if len(e.Errors) > 0 {
			failed++
		}
	}
	require.Equal(t, 3, kinds["risk_event"])
	require.GreaterOrEqual(t, kinds["job"], 5, "three ledger jobs, and the recompute and refresh they queued")
	require.Equal(t, 1, kinds["trust_version"])
	require.Equal(t, 1, kinds["trust_cache"])
	require.Equal(t, 3, failed, "each job shows its failed attempt")
	r = runBin(t, env, "pipelinectl", "trace", "nothing_here")
	requireOneLineError(t, r, "nothing_here", "no event, leg, pack, document or user has this id")
}
