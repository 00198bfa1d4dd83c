package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/riverqueue/river"

	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
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

// Concerns: the outbound event, and the pack or user it announces.
func (a PublishEventArgs) Concerns() jobmeta.Meta {
	var d struct {
		PackID string `json:"pack_id"`
		UserID string `json:"user_id"`
	}
	_ = json.Unmarshal(a.Event.Data, &d)
	m := jobmeta.Meta{EventID: a.Event.ID, PackID: d.PackID}
	if d.UserID != "" {
		m.UserIDs = []string{d.UserID}
	}
	return m
}

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

// publishTx queues an outbound event in the caller's transaction: it is published if
// and only if the transaction commits. key names the state change; the event id derives
// from it, so a retried job announces the change once.
func publishTx(ctx context.Context, tx store.Tx, key, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	_, err = river.ClientFromContext[store.Tx](ctx).InsertTx(ctx, tx, PublishEventArgs{Event: events.Envelope{
		ID: "evt_" + shortHash(key), Type: typ, Source: "trustdocs", OccurredAt: time.Now().UTC().Truncate(time.Second), Data: raw,
	}}, nil)
	if err != nil {
		return fmt.Errorf("queue %s: %w", typ, err)
	}
	return nil
}
