package consumer

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

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
