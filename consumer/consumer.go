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
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"trustdocs/events"
	"trustdocs/store"
)

// Inserter inserts River jobs in a caller's transaction; *river.Client[store.Tx] is one.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	InsertManyFastTx(ctx context.Context, tx store.Tx, params []river.InsertManyParams) (int, error)
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
	pool     *store.Pool
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
func New(opts Options, client *sqs.Client, pool *store.Pool, ins Inserter, dispatch Dispatch, m *Metrics, log zerolog.Logger) *Consumer {
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
