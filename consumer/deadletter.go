package consumer

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"trustdocs/events"
	"trustdocs/store"
)

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
