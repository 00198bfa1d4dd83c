package consumer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/riverqueue/river"

	"trustdocs/events"
)

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
