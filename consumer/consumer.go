// Package consumer moves events from an SQS queue into PostgreSQL: it long-polls batches,
// validates each message, and in one transaction records every new event in the inbox
// and inserts its River jobs; only after the commit does it delete the batch. A message
// that can never succeed goes to the queue's DLQ at once with its reason; a transient
// failure leaves it on the queue with exponential backoff and records the last error.
//
// The guarantees: a message is deleted only after its effects committed (nothing lost);
// the inbox makes every redelivery a no-op (exactly-once effects).
package consumer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"trustdocs/events"
	"trustdocs/store"
)

// Inserter inserts River jobs in a caller's transaction; *river.Client[pgx.Tx] is one.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	InsertManyFastTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) (int, error)
}

// Dispatch returns the jobs that carry out a validated event. An *events.InvalidError
// dead-letters the message; any other error is treated as transient.
type Dispatch func(events.Envelope) ([]river.InsertManyParams, error)

// Options configure one queue's consumer.
type Options struct {
	Queue       string // name, for logs, metrics and DLQ attributes
	QueueURL    string
	DLQURL      string
	Concurrency int           // receive loops, each with a validator and a deleter; default 1
	WaitTime    int32         // long-poll seconds; default 20
	BatchSize   int32         // default 10, the SQS maximum
	BatchBudget time.Duration // time to validate or commit a batch; keep below the visibility timeout; default 20s
	BackoffBase time.Duration // first transient retry delay; default 5s
	BackoffMax  time.Duration // default 15m
}

func (o *Options) setDefaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.WaitTime == 0 {
		o.WaitTime = 20
	}
	if o.BatchSize <= 0 || o.BatchSize > 10 {
		o.BatchSize = 10
	}
	if o.BatchBudget <= 0 {
		o.BatchBudget = 20 * time.Second
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 5 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 15 * time.Minute
	}
}

// Consumer consumes one queue.
type Consumer struct {
	opts     Options
	sqs      *sqs.Client
	pool     *pgxpool.Pool
	river    Inserter
	dispatch Dispatch
	metrics  *Metrics
	log      zerolog.Logger
	settled  atomic.Int64 // messages committed (new or duplicate) or dead-lettered
	deleted  atomic.Int64 // committed messages deleted from the queue
}

// Settled counts the messages this consumer has finished with: committed, found to be
// duplicates, or dead-lettered.
func (c *Consumer) Settled() int64 { return c.settled.Load() }

// Deleted counts the committed messages this consumer has deleted from the queue.
func (c *Consumer) Deleted() int64 { return c.deleted.Load() }

// New returns a consumer; metrics may be shared by several consumers.
func New(opts Options, client *sqs.Client, pool *pgxpool.Pool, ins Inserter, dispatch Dispatch, m *Metrics, log zerolog.Logger) *Consumer {
	opts.setDefaults()
	return &Consumer{opts: opts, sqs: client, pool: pool, river: ins, dispatch: dispatch, metrics: m,
		log: log.With().Str("queue", opts.Queue).Logger()}
}

// Run receives until ctx is cancelled, then finishes the batches in hand and returns.
// Messages not yet received stay on the queue.
//
// It runs one pipeline whose stages overlap SQS and PostgreSQL round trips:
//
//   - Concurrency receivers long-poll batches, each with a validator beside it: the
//     JSON Schema check is CPU work, so it runs while the next receive and the
//     commits wait on the network instead of before them; a message that can never
//     succeed is dead-lettered right there;
//   - two committers take turns: the one whose turn it is takes every batch waiting,
//     from any receiver, up to maxPerCommit messages, and writes them in one
//     transaction; it hands the turn over when it sends COMMIT, so the other builds
//     the next transaction while this one waits for its WAL flush. Each commit costs
//     PostgreSQL about half a millisecond of CPU whatever its size, so under load the
//     commits grow (up to a hundred events for four round trips and one flush)
//     instead of multiplying;
//   - Concurrency deleters remove committed messages, ten per request.
//
// Deleting late is safe: a message is only deleted after its commit, and a redelivery
// before that is a no-op.
func (c *Consumer) Run(ctx context.Context) {
	// Room for one transaction's worth of batches: a received batch waits at most about
	// two commits, far inside its visibility timeout.
	batches := make(chan batch, maxPerCommit/int(c.opts.BatchSize))
	deletes := make(chan []item, 2*c.opts.Concurrency)
	var paused atomic.Bool

	var receivers, committers, deleters sync.WaitGroup
	var turn sync.Mutex // held by the committer gathering and writing a transaction
	for range c.opts.Concurrency {
		received := make(chan []sqstypes.Message, 1)
		receivers.Go(func() {
			defer close(received)
			c.receive(ctx, received, &paused)
		})
		receivers.Go(func() {
			// Received messages are always handled, even during shutdown.
			for msgs := range received {
				if b := c.validate(context.WithoutCancel(ctx), msgs); len(b.items) > 0 {
					batches <- b
				}
			}
		})
		deleters.Go(func() {
			for good := range deletes {
				c.deleteBatch(context.WithoutCancel(ctx), good)
			}
		})
	}
	for range committersPerConsumer {
		committers.Go(func() { c.commitLoop(ctx, batches, deletes, &paused, &turn) })
	}
	receivers.Wait()
	close(batches)
	committers.Wait()
	close(deletes)
	deleters.Wait()
}

const (
	// maxPerCommit bounds the messages one transaction commits: ten received batches.
	maxPerCommit = 100
	// committersPerConsumer is how many transactions a consumer has in flight: one
	// being written, one committing.
	committersPerConsumer = 2
)

// batch is one receive's valid messages, decoded, with their jobs.
type batch struct {
	items    []item
	received time.Time
}

type item struct {
	msg  sqstypes.Message
	env  events.Envelope
	jobs []river.InsertManyParams
}

// receive long-polls until ctx is cancelled and hands what it gets to its validator.
func (c *Consumer) receive(ctx context.Context, received chan<- []sqstypes.Message, paused *atomic.Bool) {
	pause := time.Second
	for ctx.Err() == nil {
		if paused.Load() {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		// The receive is not cancelled by shutdown: a long poll abandoned mid-way can
		// still be handed messages, which would then sit invisible until their
		// timeout. Shutdown waits at most WaitTime for it instead.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(c.opts.WaitTime+10)*time.Second)
		out, err := c.sqs.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.opts.QueueURL),
			MaxNumberOfMessages:         c.opts.BatchSize,
			WaitTimeSeconds:             c.opts.WaitTime,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		cancel()
		if err != nil {
			c.log.Warn().Err(err).Dur("retry_in", pause).Msg("receive failed")
			sleep(ctx, pause)
			pause = min(pause*2, 30*time.Second)
			continue
		}
		pause = time.Second
		if len(out.Messages) > 0 {
			received <- out.Messages
		}
	}
}

// validate decodes a received batch and finds each message's jobs. A message that can
// never succeed is dead-lettered, one whose jobs cannot be built is released for a
// retry; the rest is returned for commit.
func (c *Consumer) validate(ctx context.Context, msgs []sqstypes.Message) batch {
	ctx, cancel := context.WithTimeout(ctx, c.opts.BatchBudget)
	defer cancel()
	c.metrics.count(c.opts.Queue, "received", len(msgs))
	b := batch{received: time.Now(), items: make([]item, 0, len(msgs))}
	for _, m := range msgs {
		env, err := events.Decode([]byte(aws.ToString(m.Body)))
		var jobs []river.InsertManyParams
		if err == nil {
			jobs, err = c.dispatch(env)
		}
		if ie, ok := events.IsInvalid(err); ok {
			c.deadLetter(ctx, m, env, ie)
			continue
		}
		if err != nil {
			c.release(ctx, m, env, "internal", err)
			continue
		}
		b.items = append(b.items, item{msg: m, env: env, jobs: jobs})
	}
	return b
}

// commitLoop commits what the receivers hand over until they are done. On its turn it
// takes whatever is waiting, from any receiver: the busier the queue, the larger and
// fewer the commits.
func (c *Consumer) commitLoop(ctx context.Context, batches <-chan batch, deletes chan<- []item, paused *atomic.Bool, turn *sync.Mutex) {
	for {
		turn.Lock()
		first, ok := <-batches
		if !ok {
			turn.Unlock()
			return
		}
		good, oldest := first.items, first.received
	more:
		for len(good) < maxPerCommit {
			select {
			case next, ok := <-batches:
				if !ok {
					break more
				}
				good = append(good, next.items...)
				if next.received.Before(oldest) {
					oldest = next.received
				}
			default:
				break more
			}
		}
		endTurn := sync.OnceFunc(turn.Unlock)
		err := c.handle(context.WithoutCancel(ctx), good, oldest, endTurn)
		if err != nil {
			// Holding the turn (unless the failure was the commit itself), so the other
			// committer does not fail the batches waiting one after the other.
			paused.Store(true)
			c.waitForDatabase(ctx)
			paused.Store(false)
		}
		endTurn()
		if err != nil {
			continue
		}
		// Ten per delete request, spread over the deleters.
		for len(good) > 0 {
			n := min(10, len(good))
			deletes <- good[:n]
			good = good[n:]
		}
	}
}

// waitForDatabase pauses receiving until PostgreSQL answers again. Receiving during an
// outage would only burn each message's receive count until SQS moved healthy messages
// to the DLQ; paused, they wait on the queue with their count intact.
func (c *Consumer) waitForDatabase(ctx context.Context) {
	pause := time.Second
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.pool.Ping(pctx)
		cancel()
		if err == nil {
			return
		}
		c.log.Warn().Err(err).Dur("retry_in", pause).Msg("database unreachable: receiving paused")
		sleep(ctx, pause)
		pause = min(pause*2, 30*time.Second)
	}
}

// handle commits validated messages; on a failure it releases them all for a retry
// with backoff and returns the error. committing is called when COMMIT is sent.
func (c *Consumer) handle(ctx context.Context, good []item, received time.Time, committing func()) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.BatchBudget)
	defer cancel()
	dups, err := c.commit(ctx, good, committing)
	if err != nil {
		for _, it := range good {
			c.release(ctx, it.msg, it.env, "transient", err)
		}
		return err
	}
	now := time.Now()
	age := c.metrics.eventAge.WithLabelValues(c.opts.Queue)
	for _, it := range good {
		age.Observe(now.Sub(it.env.OccurredAt).Seconds())
	}
	c.metrics.count(c.opts.Queue, "processed", len(good)-dups)
	c.metrics.count(c.opts.Queue, "duplicate", dups)
	c.settled.Add(int64(len(good)))
	c.metrics.latency.WithLabelValues(c.opts.Queue).Observe(now.Sub(received).Seconds())
	return nil
}

// commit records the messages' events in the inbox and inserts the jobs of the events
// that are new, in one transaction. It returns how many messages were duplicates.
func (c *Consumer) commit(ctx context.Context, good []item, committing func()) (int, error) {
	entries := make([]store.InboxEntry, len(good))
	for i, it := range good {
		entries[i] = store.InboxEntry{
			EventID: it.env.ID, Type: it.env.Type, Source: it.env.Source, Queue: c.opts.Queue,
			MessageID: aws.ToString(it.msg.MessageId), OccurredAt: it.env.OccurredAt,
		}
	}
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	fresh, err := store.InsertInboxTx(ctx, tx, entries)
	if err != nil {
		return 0, err
	}
	var params []river.InsertManyParams
	dups := 0
	type replayed struct {
		it      item
		id      string
		already bool
	}
	var replays []replayed
	for _, it := range good {
		isNew := fresh[it.env.ID]
		if id := aws.ToString(it.msg.MessageAttributes[AttrReplayID].StringValue); id != "" {
			replays = append(replays, replayed{it, id, !isNew})
		}
		if !isNew {
			dups++
			c.log.Debug().Str("event_id", it.env.ID).Str("message_id", aws.ToString(it.msg.MessageId)).Msg("duplicate event: no-op")
			continue
		}
		fresh[it.env.ID] = false // a second copy within the batch is a duplicate too
		params = append(params, it.jobs...)
	}
	if err := c.insertJobs(ctx, tx, params); err != nil {
		return 0, fmt.Errorf("insert jobs: %w", err)
	}
	committing()
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	for _, r := range replays { // on-call follows a replay by its id
		c.log.Info().Str("event_id", r.it.env.ID).Str("message_id", aws.ToString(r.it.msg.MessageId)).Str("replay_id", r.id).
			Bool("already_processed", r.already).Msg("replayed event accepted")
	}
	return dups, nil
}

// insertJobs inserts the jobs in tx. Jobs without unique options go through River's COPY
// insert (InsertManyFastTx), which returns no rows: less work for PostgreSQL and for us
// than InsertManyTx, which sends every inserted row back. COPY cannot skip a unique-job
// conflict (it fails the transaction), so a batch with any unique job uses InsertManyTx.
// Duplicate events need neither: only new events reach this point.
func (c *Consumer) insertJobs(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	for _, p := range params {
		if hasUniqueOpts(p) {
			_, err := c.river.InsertManyTx(ctx, tx, params)
			return err
		}
	}
	_, err := c.river.InsertManyFastTx(ctx, tx, params)
	return err
}

// hasUniqueOpts reports whether River would insert the job as a unique job: options
// given with the job win over those of its args, as in River. Any field set counts, so
// a future UniqueOpts field errs on the safe side.
func hasUniqueOpts(p river.InsertManyParams) bool {
	if p.InsertOpts != nil && !reflect.ValueOf(p.InsertOpts.UniqueOpts).IsZero() {
		return true
	}
	a, ok := p.Args.(river.JobArgsWithInsertOpts)
	return ok && !reflect.ValueOf(a.InsertOpts().UniqueOpts).IsZero()
}

// deleteBatch deletes committed messages, at most ten (the SQS maximum; commitLoop
// splits them). A message not deleted comes back after its visibility timeout and the
// inbox makes it a no-op: a warning, not a loss.
func (c *Consumer) deleteBatch(ctx context.Context, good []item) {
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(good))
	for i, it := range good {
		entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: it.msg.ReceiptHandle}
	}
	out, err := c.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.opts.QueueURL), Entries: entries})
	if err != nil {
		c.log.Warn().Err(err).Int("messages", len(good)).Msg("delete after commit failed; redelivery will be a no-op")
		return
	}
	c.deleted.Add(int64(len(out.Successful)))
	for _, f := range out.Failed {
		c.log.Warn().Str("entry", aws.ToString(f.Id)).Str("code", aws.ToString(f.Code)).Msg("delete after commit failed; redelivery will be a no-op")
	}
}

// release leaves a message on the queue, invisible for a backoff that grows with its
// receive count, and records its last error. After maxReceiveCount receives SQS moves it
// to the DLQ; message_failure still explains it.
func (c *Consumer) release(ctx context.Context, m sqstypes.Message, env events.Envelope, class string, cause error) {
	n := receiveCount(m)
	delay := Backoff(n, c.opts.BackoffBase, c.opts.BackoffMax, rand.Float64)
	log := c.log.With().Str("message_id", aws.ToString(m.MessageId)).Str("event_id", env.ID).Int("receive_count", n).Logger()
	if _, err := c.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(c.opts.QueueURL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(delay / time.Second),
	}); err != nil {
		log.Warn().Err(err).Msg("extend visibility failed; the queue's timeout applies")
	}
	// Best effort: when the database is what failed, this fails too, and the log has it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if _, err := store.RecordFailure(rctx, c.pool, store.MessageFailure{
		MessageID: aws.ToString(m.MessageId), Queue: c.opts.Queue, EventID: env.ID, EventType: env.Type,
		ErrorClass: class, ErrorText: truncate(cause.Error(), 2000), ReceiveCount: n,
	}); err != nil {
		log.Debug().Err(err).Msg("could not record the failure")
	}
	c.metrics.count(c.opts.Queue, "retried", 1)
	log.Warn().Err(cause).Dur("retry_in", delay).Msg("processing failed; message stays on the queue")
}

// deadLetter sends a message that can never succeed to the DLQ with its reason, then
// deletes it from the source queue. If the DLQ send fails the message stays on the
// source queue and SQS redrives it after maxReceiveCount.
func (c *Consumer) deadLetter(ctx context.Context, m sqstypes.Message, env events.Envelope, ie *events.InvalidError) {
	msgID := aws.ToString(m.MessageId)
	log := c.log.With().Str("message_id", msgID).Str("event_id", env.ID).Str("error_class", ie.Class).Logger()
	now := time.Now().UTC()
	first := now
	if t, ok, err := store.FirstFailure(ctx, c.pool, msgID); err == nil && ok {
		first = t
	}
	attrs := map[string]sqstypes.MessageAttributeValue{}
	for k, v := range m.MessageAttributes {
		attrs[k] = v
	}
	str := func(k, v string) {
		attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	str(AttrErrorClass, ie.Class)
	str(AttrErrorText, truncate(ie.Error(), 1000))
	str(AttrSourceQueue, c.opts.Queue)
	str(AttrFirstFailure, first.Format(time.RFC3339))
	str(AttrSourceMessageID, msgID)
	attrs[AttrReceiveCount] = sqstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(receiveCount(m)))}

	if _, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(c.opts.DLQURL), MessageBody: m.Body, MessageAttributes: attrs,
	}); err != nil {
		log.Error().Err(err).Msg("dead-letter send failed; message stays on the queue")
		return
	}
	if _, err := c.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(c.opts.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		// It will come back and be dead-lettered again: the DLQ may hold a copy twice,
		// and replay is deduplicated by the inbox.
		log.Warn().Err(err).Msg("delete after dead-letter failed")
	}
	if _, err := store.RecordFailure(ctx, c.pool, store.MessageFailure{
		MessageID: msgID, Queue: c.opts.Queue, EventID: env.ID, EventType: env.Type,
		ErrorClass: ie.Class, ErrorText: truncate(ie.Error(), 2000), ReceiveCount: receiveCount(m),
	}); err != nil {
		log.Debug().Err(err).Msg("could not record the dead letter")
	}
	c.metrics.count(c.opts.Queue, "dead_lettered", 1)
	c.settled.Add(1)
	log.Warn().Str("reason", ie.Error()).Msg("dead-lettered")
}

// Dead-letter message attributes, read back by `pipelinectl dlq`.
const (
	AttrErrorClass      = "error_class"
	AttrErrorText       = "error_text"
	AttrSourceQueue     = "source_queue"
	AttrFirstFailure    = "first_failure_at"
	AttrReceiveCount    = "receive_count"
	AttrSourceMessageID = "source_message_id"
	// AttrReplayID marks a copy sent back by `pipelinectl dlq replay`.
	AttrReplayID = "replay_id"
)

// Backoff is the visibility delay before the n-th retry: base·2^(n-1), capped at max,
// with equal jitter (half fixed, half random) so a burst of failures spreads out.
func Backoff(n int, base, max time.Duration, rnd func() float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	j := d/2 + time.Duration(rnd()*float64(d/2))
	return max2s(j)
}

// max2s keeps a delay at SQS's granularity (whole seconds, at least 1).
func max2s(d time.Duration) time.Duration {
	d = d.Round(time.Second)
	if d < time.Second {
		return time.Second
	}
	return d
}

func receiveCount(m sqstypes.Message) int {
	n, _ := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
