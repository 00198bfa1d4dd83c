package consumer

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

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
