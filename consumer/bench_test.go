package consumer_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/config"
	"trustdocs/consumer"
	"trustdocs/events"
	"trustdocs/infra"
	"trustdocs/store"
	"trustdocs/workers"
)

// BenchmarkConsumerVsBareLoop measures, in one run on the same queue, the consumer
// (validate, inbox + River jobs in one transaction, delete) against the least any
// consumer must do: a bare ReceiveMessage + DeleteMessageBatch loop, with the same
// number of receive loops (the consumer's Concurrency). Each iteration moves
// -bench.messages messages through each, alternating. A round ends when its last
// message is deleted, on both sides. The ratio compares the median rounds (target: at
// least 0.8): a receive response lost on the way hides its messages for the visibility
// timeout and would make a mean measure that rather than the code. (Such losses were
// common before infra.SDKHTTPClient: a race in the SDK's client, not the emulator.)
//
//	go test -run '^$' -bench ConsumerVsBare -benchtime 10x ./consumer/
func BenchmarkConsumerVsBareLoop(b *testing.B) {
	for _, loops := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("loops=%d", loops), func(b *testing.B) { benchConsumerVsBare(b, loops) })
	}
}

// benchMessages is the size of a round. Rounds of 3,000 take about half a second on
// each side; at 1,000 the consumer's pipeline filling and emptying (the first
// transaction waits for the first receive, the last deletes wait for the last commit)
// weighs noticeably in the round, which a throughput figure should not count.
var benchMessages = flag.Int("bench.messages", 3000, "messages per round in BenchmarkConsumerVsBareLoop")

// benchSQSRTT adds a network round trip to every SQS call of both sides: what the
// comparison becomes when SQS is another machine (a few milliseconds away in a region)
// rather than an emulator on the benchmark's own two cores. A what-if beside the
// benchmark, not the benchmark.
var benchSQSRTT = flag.Duration("bench.sqs-rtt", 0, "added to each SQS call of both sides in BenchmarkConsumerVsBareLoop (simulated round trip)")

// delayed is an SDK HTTP client whose calls take rtt longer, as over a network.
type delayed struct {
	next aws.HTTPClient
	rtt  time.Duration
}

func (d delayed) Do(r *http.Request) (*http.Response, error) {
	time.Sleep(d.rtt)
	return d.next.Do(r)
}

func benchConsumerVsBare(b *testing.B, loops int) {
	perRound := *benchMessages
	// The garbage collector's target as the worker sets it; both sides share the process.
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	config.ApplyGC()
	t := &testing.T{}
	bb := setup(t)
	if t.Failed() {
		b.Fatal("setup failed: is the local stack up? (make up)")
	}
	ctx := context.Background()
	if _, err := bb.aws.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(bb.url),
		Attributes: map[string]string{"VisibilityTimeout": "2"}}); err != nil {
		b.Fatal(err)
	}
	// Each side gets its own SDK client, built the same way as the worker's (the SDK's
	// default HTTP transport, keep-alive on), as it would in its own process. Retries are
	// logged by the SDK as they happen (to stderr), so a lost response shows in the output.
	client := func() *sqs.Client {
		own, err := infra.NewAWS(ctx, bb.cfg, zerolog.New(os.Stderr))
		if err != nil {
			b.Fatal(err)
		}
		return sqs.New(own.SQS.Options(), func(o *sqs.Options) {
			o.ClientLogMode = aws.LogRetries
			if *benchSQSRTT > 0 {
				o.HTTPClient = delayed{next: o.HTTPClient, rtt: *benchSQSRTT}
			}
		})
	}
	bareSQS, ownSQS := client(), client()
	c := consumer.New(consumer.Options{Queue: bb.cfg.RiskQueue, QueueURL: bb.url, DLQURL: bb.dlq, WaitTime: 1, Concurrency: loops},
		ownSQS, bb.pool, bb.river, workers.JobsFor, consumer.NewMetrics(nil), zerolog.Nop())

	seq := 0
	load := func() {
		var bodies []string
		for i := 0; i < perRound; i++ {
			seq++
			bodies = append(bodies, riskEvent(fmt.Sprintf("evt_bench_%d", seq), "usr_"+strconv.Itoa(seq%50)))
		}
		bb.send(t, bb.url, bodies...)
	}
	var bareDone time.Time
	bare := func() {
		var mu sync.Mutex
		got := 0
		var wg sync.WaitGroup
		for l := 0; l < loops; l++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					done := got >= perRound
					mu.Unlock()
					if done {
						return
					}
					out, err := bareSQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(bb.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
						MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
					if err != nil {
						b.Error(err)
						return
					}
					entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
					for j, m := range out.Messages {
						entries[j] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), ReceiptHandle: m.ReceiptHandle}
					}
					if len(entries) > 0 {
						if _, err := bareSQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(bb.url), Entries: entries}); err != nil {
							b.Error(err)
							return
						}
					}
					mu.Lock()
					got += len(out.Messages)
					if got >= perRound && bareDone.IsZero() {
						bareDone = time.Now() // the other loop may still be in an empty long poll
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	var stopOurs func()
	ours := func() {
		before := c.Deleted()
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { c.Run(runCtx); close(done) }()
		// The round ends when every message is committed and deleted, as in the bare loop.
		for c.Deleted() < before+int64(perRound) {
			time.Sleep(time.Millisecond)
		}
		// Stopping waits out the last long poll: not part of the throughput.
		stopOurs = func() { cancel(); <-done }
	}

	var bareRounds, ourRounds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, side := range []struct {
			run    func()
			rounds *[]time.Duration
		}{{bare, &bareRounds}, {ours, &ourRounds}} {
			b.StopTimer()
			load()
			b.StartTimer()
			start := time.Now()
			bareDone = time.Time{}
			side.run()
			end := time.Now()
			if !bareDone.IsZero() {
				end = bareDone
			}
			*side.rounds = append(*side.rounds, end.Sub(start))
			b.StopTimer()
			if stopOurs != nil {
				stopOurs()
				stopOurs = nil
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	if t.Failed() {
		b.Fatal("a step failed")
	}
	mb, mo := median(bareRounds), median(ourRounds)
	b.ReportMetric(float64(perRound)/mb.Seconds(), "bare_msgs/s")
	b.ReportMetric(float64(perRound)/mo.Seconds(), "consumer_msgs/s")
	b.ReportMetric(mb.Seconds()/mo.Seconds(), "ratio")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkCommitPath measures the consumer's transaction alone, on one connection:
// inbox rows for n events, their River jobs, commit. It reports events/s and the CPU the
// PostgreSQL backend spent per event (read from /proc, so only when the server runs on
// this machine, as in the local stack): what the consumer costs the database, by
// transaction size and by River insert (COPY or INSERT ... RETURNING).
//
//	go test -run '^$' -bench CommitPath -benchtime 20000x ./consumer/
func BenchmarkCommitPath(b *testing.B) {
	for _, insert := range []string{"copy", "returning"} {
		for _, n := range []int{20, 50, 100, 200} {
			b.Run(fmt.Sprintf("insert=%s/events=%d", insert, n), func(b *testing.B) { benchCommitPath(b, insert, n) })
		}
	}
}

func benchCommitPath(b *testing.B, insert string, n int) {
	t := &testing.T{}
	bb := setup(t)
	if t.Failed() {
		b.Fatal("setup failed: is the local stack up? (make up)")
	}
	ctx := context.Background()
	conn, err := bb.pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	var pid int
	if err := conn.QueryRow(ctx, "select pg_backend_pid()").Scan(&pid); err != nil {
		b.Fatal(err)
	}
	seq := 0
	commit := func() {
		entries := make([]store.InboxEntry, n)
		var params []river.InsertManyParams
		for i := range entries {
			seq++
			env, err := events.Decode([]byte(riskEvent(fmt.Sprintf("evt_commit_%d", seq), "usr_"+strconv.Itoa(seq%50))))
			if err != nil {
				b.Fatal(err)
			}
			jobs, err := workers.JobsFor(env)
			if err != nil {
				b.Fatal(err)
			}
			params = append(params, jobs...)
			entries[i] = store.InboxEntry{EventID: env.ID, Type: env.Type, Source: env.Source, Queue: "bench", MessageID: strconv.Itoa(seq), OccurredAt: env.OccurredAt}
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := store.InsertInboxTx(ctx, tx, entries); err != nil {
			b.Fatal(err)
		}
		if insert == "copy" {
			_, err = bb.river.InsertManyFastTx(ctx, tx, params)
		} else {
			_, err = bb.river.InsertManyTx(ctx, tx, params)
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	commit() // prepares the statements
	// b.N counts events; each transaction carries n of them.
	rounds := max(1, b.N/n)
	cpu0, cpuOK := backendCPU(pid)
	b.ResetTimer()
	for range rounds {
		commit()
	}
	b.StopTimer()
	b.ReportMetric(float64(rounds*n)/b.Elapsed().Seconds(), "events/s")
	if cpu1, ok := backendCPU(pid); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(rounds*n), "pg_cpu_µs/event")
	}
}

// backendCPU reads a local process's user + system CPU time from /proc (clock ticks of
// 10 ms, Linux's usual USER_HZ).
func backendCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}
