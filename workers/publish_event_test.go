package workers

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"trustdocs/events"
	"trustdocs/jobmeta"
)

func TestJobPublishEvent(t *testing.T) {
	t.Parallel()
	db := jobDB(t)
	issued := events.Envelope{ID: "evt_issued_1", Type: events.DocPackIssued, Source: "trustdocs",
		OccurredAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(`{"pack_id":"dpk_1","doc_ids":["doc_1"]}`)}

	t.Run("publishes the envelope with its type attribute", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		res, err := work(t, b, &PublishEventWorker{deps: b.deps}, PublishEventArgs{Event: issued})
		require.NoError(t, err)
		require.Equal(t, river.EventKindJobCompleted, res.EventKind)
		require.Equal(t, jobmeta.Meta{EventID: "evt_issued_1", PackID: "dpk_1"}, jobmeta.Of(res.Job.Metadata))

		require.Len(t, b.sns.published, 1)
		in := b.sns.published[0]
		require.Equal(t, testTopicARN, aws.ToString(in.TopicArn))
		require.Equal(t, "String", aws.ToString(in.MessageAttributes[events.TypeAttribute].DataType))
		require.Equal(t, events.DocPackIssued, aws.ToString(in.MessageAttributes[events.TypeAttribute].StringValue))
		var got events.Envelope
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(in.Message)), &got))
		require.Equal(t, issued.ID, got.ID)
		require.JSONEq(t, string(issued.Data), string(got.Data))
		require.Empty(t, b.inserted(t, res))
	})

	t.Run("a publish that fails is retried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, db)
		b.sns.err = errors.New("sns unavailable")
		res, err := work(t, b, &PublishEventWorker{deps: b.deps}, PublishEventArgs{Event: issued})
		require.ErrorContains(t, err, "sns unavailable")
		require.Equal(t, river.EventKindJobFailed, res.EventKind)
		require.Len(t, res.Job.Errors, 1, "the attempt's error is recorded for the retry")
		require.Empty(t, b.sns.published)
	})
}
