package webhook_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/webhook"
)

// receiveAll receives until want messages arrived or 20 s passed, deleting each.
func receiveAll(t *testing.T, client *sqs.Client, url string, want int) []sqstypes.Message {
	t.Helper()
	ctx := context.Background()
	var out []sqstypes.Message
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		res, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		require.NoError(t, err)
		for _, m := range res.Messages {
			out = append(out, m)
			_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
	return out
}

// Through the real SDK against the local stack: concurrent sends go out in batches,
// an entry SQS refuses (a character SQS does not allow) fails alone with its code, the
// others are queued exactly once, and what arrives is what SendMessage would have
// queued: same body, same attributes (same MD5 of attributes, which the consumer's SDK
// checks).
func TestBatcherAgainstTheLocalQueue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	api := &countingAPI{BatchAPI: b.sqs}
	batcher := webhook.NewBatcher(api, b.url, webhook.BatchOptions{Linger: 100 * time.Millisecond})
	attrs := func(provider string) map[string]sqstypes.MessageAttributeValue { // as the receiver sent them with SendMessage
		return map[string]sqstypes.MessageAttributeValue{
			events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(events.WebhookReceived)},
			"provider":           {DataType: aws.String("String"), StringValue: aws.String(provider)},
		}
	}
	const n = 23
	in := make([]webhook.Message, n+1)
	for i := range n {
		in[i] = webhook.Message{Body: fmt.Sprintf(`{"id":"evt_%02d"}`, i), Attributes: attrs("checkr")}
	}
	in[n] = webhook.Message{Body: "{\"id\":\"bad\uffff\"}", Attributes: attrs("checkr")}
	results := make([]error, len(in))
	var wg sync.WaitGroup
	for i, m := range in {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = batcher.Send(b.ctx, m) }()
	}
	wg.Wait()
	require.NoError(t, batcher.Close(b.ctx))
	for i := range n {
		require.NoError(t, results[i], "message %d", i)
	}
	require.LessOrEqual(t, api.calls.Load(), int64(len(in)/2), "coalesced: far fewer calls than messages")
	var refused *webhook.EntryError
	require.ErrorAs(t, results[n], &refused, "the refused entry fails alone")
	require.Equal(t, "InvalidMessageContents", refused.Code)
	require.True(t, refused.SenderFault)

	got := receiveAll(t, b.sqs, b.url, n)
	require.Len(t, got, n, "every accepted message once, the refused one never")
	var bodies []string
	for _, m := range got {
		bodies = append(bodies, aws.ToString(m.Body))
		require.Equal(t, attrs("checkr"), trimAttrs(m.MessageAttributes))
	}
	sort.Strings(bodies)
	for i := range n {
		require.Equal(t, in[i].Body, bodies[i])
	}

	// The same message by SendMessage, as the receiver sent it before batching.
	_, err := b.sqs.SendMessage(b.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(b.url), MessageBody: aws.String(in[0].Body), MessageAttributes: attrs("checkr")})
	require.NoError(t, err)
	single := receiveAll(t, b.sqs, b.url, 1)
	require.Len(t, single, 1)
	require.Equal(t, aws.ToString(got[0].MD5OfMessageAttributes), aws.ToString(single[0].MD5OfMessageAttributes))
	require.Equal(t, trimAttrs(got[0].MessageAttributes), trimAttrs(single[0].MessageAttributes))
}

type countingAPI struct {
	webhook.BatchAPI
	calls atomic.Int64
}

func (c *countingAPI) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opt ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	c.calls.Add(1)
	return c.BatchAPI.SendMessageBatch(ctx, in, opt...)
}

// trimAttrs keeps what a sender sets of each attribute, for comparison.
func trimAttrs(in map[string]sqstypes.MessageAttributeValue) map[string]sqstypes.MessageAttributeValue {
	out := map[string]sqstypes.MessageAttributeValue{}
	for k, v := range in {
		out[k] = sqstypes.MessageAttributeValue{DataType: v.DataType, StringValue: v.StringValue}
	}
	return out
}

// A whole call failing (the queue is gone) fails every message batched in it (the
// handler answers each 503: TestQueueUnavailableAnswers503).
func TestBatchCallFailingFailsEveryMessageInIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gone := webhook.NewBatcher(b.sqs, b.url+"-gone", webhook.BatchOptions{Linger: 20 * time.Millisecond})
	errs := make(chan error, 5)
	for i := range 5 {
		go func() { errs <- gone.Send(b.ctx, msg(fmt.Sprintf(`{"n":%d}`, i))) }()
	}
	for range 5 {
		require.Error(t, <-errs)
	}
	require.NoError(t, gone.Close(b.ctx))
	require.Empty(t, b.queued(t))
}
