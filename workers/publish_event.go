package workers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/riverqueue/river"

	"trustdocs/events"
)

// PublishEventArgs publishes one outbound envelope to the pipeline-events topic. It is
// inserted in the same transaction as the state change it announces (an outbox), so the
// event goes out if and only if the change committed; a retry may publish twice, and
// consumers dedupe on the envelope id.
type PublishEventArgs struct {
	Event events.Envelope `json:"event"`
}

// Kind is stable: renaming it would orphan queued jobs.
func (PublishEventArgs) Kind() string { return "publish_event" }

// InsertOpts keeps one job per event id even if the insert is repeated.
func (PublishEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueOutbox, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PublishEventWorker sends the envelope with its type as the `type` message attribute,
// the attribute subscribers filter on.
type PublishEventWorker struct {
	river.WorkerDefaults[PublishEventArgs]
	deps *Deps
}

func (w *PublishEventWorker) Work(ctx context.Context, job *river.Job[PublishEventArgs]) error {
	body, err := json.Marshal(job.Args.Event)
	if err != nil {
		return river.JobCancel(fmt.Errorf("encode event %s: %w", job.Args.Event.ID, err))
	}
	_, err = w.deps.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(w.deps.PipelineTopicARN),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(job.Args.Event.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("publish %s %s: %w", job.Args.Event.Type, job.Args.Event.ID, err)
	}
	return nil
}
