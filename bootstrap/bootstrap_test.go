package bootstrap_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"trustdocs/bootstrap"
	"trustdocs/config"
	"trustdocs/events"
	"trustdocs/infra"
	"trustdocs/testkit"
)

type bundle struct {
	cfg config.Config
	aws *infra.AWS
	rep *bootstrap.Report
	ctx context.Context
}

func setup(t *testing.T) *bundle {
	t.Helper()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &bundle{cfg: cfg, aws: clients, rep: testkit.Bootstrap(t, cfg, clients), ctx: ctx}
}

func TestBootstrapTwiceLeavesOneOfEachResource(t *testing.T) {
	t.Parallel()
	b := setup(t)

	again, err := bootstrap.Run(b.ctx, b.cfg, b.aws, nil)
	require.NoError(t, err)
	for _, s := range again.Steps {
		require.Contains(t, []string{"exists", "ensured"}, s.Action, "second run changed %s %s", s.Kind, s.Name)
	}
	require.Equal(t, b.rep.QueueURLs, again.QueueURLs)
	require.Equal(t, b.rep.TopicARNs, again.TopicARNs)
	require.ElementsMatch(t, b.rep.Subscribed, again.Subscribed)

	// Queues: each name exactly once, each source queue redriving to its own DLQ.
	for _, q := range b.cfg.Queues() {
		for _, name := range []string{q, b.cfg.DLQ(q)} {
			out, err := b.aws.SQS.ListQueues(b.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(name)})
			require.NoError(t, err)
			n := 0
			for _, u := range out.QueueUrls {
				if strings.HasSuffix(u, "/"+name) {
					n++
				}
			}
			require.Equal(t, 1, n, "queue %s", name)
		}
		attrs, err := b.aws.SQS.GetQueueAttributes(b.ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(again.QueueURLs[q]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		require.NoError(t, err)
		require.Contains(t, attrs.Attributes["RedrivePolicy"], again.QueueARNs[b.cfg.DLQ(q)])
	}

	// Topics: each name exactly once.
	var topics []string
	tp := sns.NewListTopicsPaginator(b.aws.SNS, &sns.ListTopicsInput{})
	for tp.HasMorePages() {
		page, err := tp.NextPage(b.ctx)
		require.NoError(t, err)
		for _, tt := range page.Topics {
			topics = append(topics, aws.ToString(tt.TopicArn))
		}
	}
	for _, name := range b.cfg.Topics() {
		n := 0
		for _, arn := range topics {
			if strings.HasSuffix(arn, ":"+name) {
				n++
			}
		}
		require.Equal(t, 1, n, "topic %s", name)
	}

	// Subscriptions: one per route, no more.
	perRoute := map[string]int{}
	sp := sns.NewListSubscriptionsPaginator(b.aws.SNS, &sns.ListSubscriptionsInput{})
	for sp.HasMorePages() {
		page, err := sp.NextPage(b.ctx)
		require.NoError(t, err)
		for _, s := range page.Subscriptions {
			perRoute[aws.ToString(s.TopicArn)+" "+aws.ToString(s.Endpoint)]++
		}
	}
	for _, s := range bootstrap.Subscriptions(b.cfg) {
		require.Equal(t, 1, perRoute[again.TopicARNs[s.Topic]+" "+again.QueueARNs[s.Queue]], "%s -> %s", s.Topic, s.Queue)
	}

	// Bucket: Object Lock with the configured default retention.
	lock, err := b.aws.S3.GetObjectLockConfiguration(b.ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b.cfg.DocsBucket)})
	require.NoError(t, err)
	require.Equal(t, s3types.ObjectLockEnabledEnabled, lock.ObjectLockConfiguration.ObjectLockEnabled)
	require.Equal(t, s3types.ObjectLockRetentionModeCompliance, lock.ObjectLockConfiguration.Rule.DefaultRetention.Mode)
	require.Equal(t, int32(1), aws.ToInt32(lock.ObjectLockConfiguration.Rule.DefaultRetention.Days))

	// Table: active, keyed by user_id.
	tbl, err := b.aws.DynamoDB.DescribeTable(b.ctx, &dynamodb.DescribeTableInput{TableName: aws.String(b.cfg.TrustCacheTable)})
	require.NoError(t, err)
	require.Equal(t, ddbtypes.TableStatusActive, tbl.Table.TableStatus)
	require.Equal(t, "user_id", aws.ToString(tbl.Table.KeySchema[0].AttributeName))
}

func TestBootstrapConvergesChangedSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)

	b.cfg.MaxReceiveCount = 7
	b.cfg.Retention = config.Retention{Days: 2}
	rep, err := bootstrap.Run(b.ctx, b.cfg, b.aws, nil)
	require.NoError(t, err)
	actions := map[string]string{}
	for _, s := range rep.Steps {
		actions[s.Kind+" "+s.Name] = s.Action
	}
	require.Equal(t, "updated", actions["queue "+b.cfg.CheckoutQueue])
	require.Equal(t, "exists", actions["queue "+b.cfg.DLQ(b.cfg.CheckoutQueue)])
	require.Equal(t, "updated", actions["bucket "+b.cfg.DocsBucket])

	attrs, err := b.aws.SQS.GetQueueAttributes(b.ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(rep.QueueURLs[b.cfg.CheckoutQueue]), AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy"},
	})
	require.NoError(t, err)
	require.Contains(t, attrs.Attributes["RedrivePolicy"], "7")
}

func TestLockedObjectVersionCannotBeDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t)

	body := []byte("%PDF-1.4 evidence that must not change")
	sum := sha256.Sum256(body)
	key := b.cfg.DocsEnv + "/packs/dpk_test/doc_test_v1.pdf"
	put, err := b.aws.S3.PutObject(b.ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(key), Body: strings.NewReader(string(body)),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	require.NoError(t, err)
	require.NotEmpty(t, aws.ToString(put.VersionId), "object lock implies versioning")

	head, err := b.aws.S3.HeadObject(b.ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(key)})
	require.NoError(t, err)
	require.Equal(t, s3types.ObjectLockModeCompliance, head.ObjectLockMode, "bucket default retention applies")
	require.WithinDuration(t, time.Now().Add(24*time.Hour), aws.ToTime(head.ObjectLockRetainUntilDate), time.Hour)

	_, err = b.aws.S3.DeleteObject(b.ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(key), VersionId: put.VersionId,
	})
	require.Error(t, err, "deleting a locked version must be refused")

	got, err := b.aws.S3.GetObject(b.ctx, &s3.GetObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(key), VersionId: put.VersionId})
	require.NoError(t, err, "the version is still there")
	got.Body.Close()
}

func TestMessagePastMaxReceiveCountLandsInDLQ(t *testing.T) {
	t.Parallel()
	b := setup(t)
	queueURL := b.rep.QueueURLs[b.cfg.RiskQueue]
	dlqURL := b.rep.QueueURLs[b.cfg.DLQ(b.cfg.RiskQueue)]

	sent, err := b.aws.SQS.SendMessage(b.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(`{"poison":true}`)})
	require.NoError(t, err)

	// Receive without deleting, as a consumer that keeps failing would, letting the
	// message become visible again each time.
	receives := 0
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := b.aws.SQS.ReceiveMessage(b.ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), VisibilityTimeout: 1, WaitTimeSeconds: 1, MaxNumberOfMessages: 10,
		})
		require.NoError(t, err)
		receives += len(out.Messages)
		dl, err := b.aws.SQS.ReceiveMessage(b.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), WaitTimeSeconds: 0})
		require.NoError(t, err)
		if len(dl.Messages) == 1 {
			require.Equal(t, aws.ToString(sent.MessageId), aws.ToString(dl.Messages[0].MessageId))
			require.Equal(t, `{"poison":true}`, aws.ToString(dl.Messages[0].Body))
			require.Equal(t, b.cfg.MaxReceiveCount, receives, "moved after exactly maxReceiveCount receives")
			return
		}
		time.Sleep(1100 * time.Millisecond)
	}
	t.Fatalf("message not in the DLQ after %d receives", receives)
}

func TestPublishedEventsReachOnlyTheQueuesTheirFilterAllows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publish := func(topic, typ string) string {
		body := `{"id":"evt_` + testkit.Suffix() + `","type":"` + typ + `","source":"test","occurred_at":"2026-11-24T10:00:00Z","data":{}}`
		_, err := b.aws.SNS.Publish(b.ctx, &sns.PublishInput{
			TopicArn: aws.String(b.rep.TopicARNs[topic]), Message: aws.String(body),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{
				events.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(typ)},
			},
		})
		require.NoError(t, err)
		return body
	}
	checkout := publish(b.cfg.BookingTopic, events.CheckoutCompleted)
	legDone := publish(b.cfg.BookingTopic, events.LegCompleted)
	publish(b.cfg.BookingTopic, "booking.invoice.sent") // no route: reaches no queue
	dispute := publish(b.cfg.RiskTopic, events.DisputeOpened)
	social := publish(b.cfg.RiskTopic, events.SocialVerificationSet)
	publish(b.cfg.RiskTopic, events.CheckoutCompleted) // checkout events are not routed from risk-events

	require.ElementsMatch(t, []string{checkout}, drain(t, b, b.cfg.CheckoutQueue))
	require.ElementsMatch(t, []string{legDone, dispute, social}, drain(t, b, b.cfg.RiskQueue))
	require.Empty(t, drain(t, b, b.cfg.WebhookQueue))
}

// drain receives until a long poll comes back empty and returns the bodies, checking
// that raw delivery kept the type attribute.
func drain(t *testing.T, b *bundle, queue string) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := b.aws.SQS.ReceiveMessage(b.ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(b.rep.QueueURLs[queue]), WaitTimeSeconds: 2, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"},
		})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			require.True(t, strings.HasPrefix(body, `{"id":"evt_`), "raw delivery: the body is the envelope itself, got %s", body)
			require.Contains(t, body, aws.ToString(m.MessageAttributes[events.TypeAttribute].StringValue))
			bodies = append(bodies, body)
			_, err := b.aws.SQS.DeleteMessage(b.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(b.rep.QueueURLs[queue]), ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}
