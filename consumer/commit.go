package consumer

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/riverqueue/river"

	"trustdocs/store"
)

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
func (c *Consumer) insertJobs(ctx context.Context, tx store.Tx, params []river.InsertManyParams) error {
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
