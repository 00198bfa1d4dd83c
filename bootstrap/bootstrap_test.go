package bootstrap_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
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

// controls indexes a report's data-protection controls by "resource: name".
func controls(rep *bootstrap.Report) map[string]bootstrap.Control {
	out := map[string]bootstrap.Control{}
	for _, c := range rep.Controls {
		out[c.Resource+": "+c.Name] = c
	}
	return out
}

// The local stack, through the real SDK: MinIO (with its KMS key) encrypts by default
// and refuses non-TLS anonymous requests by policy, but has no public access block;
// fauxqs does not know SqsManagedSseEnabled. Each control says so, every run.
func TestBootstrapReportsEachDataProtectionControl(t *testing.T) {
	t.Parallel()
	b := setup(t)

	for run, rep := range []*bootstrap.Report{b.rep, mustRun(t, b)} {
		got := controls(rep)
		require.Len(t, got, 2*len(b.cfg.Queues())+3, "one control per queue and DLQ, three on the bucket: %v", rep.Controls)
		for _, q := range b.cfg.Queues() {
			for _, name := range []string{q, b.cfg.DLQ(q)} {
				c := got["queue "+name+": server-side encryption"]
				require.Equal(t, bootstrap.ControlNotSupported, c.State, "run %d: %+v", run, c)
				require.Contains(t, c.Detail, "InvalidAttributeName: Unknown attribute: SqsManagedSseEnabled", "the emulator's own words")
			}
		}
		bucket := "bucket " + b.cfg.DocsBucket + ": "
		enc := got[bucket+"default encryption"]
		require.Equal(t, bootstrap.ControlApplied, enc.State, "run %d: %+v", run, enc)
		require.Contains(t, enc.Detail, "SSE-S3 (AES256)")
		pab := got[bucket+"public access block"]
		require.Equal(t, bootstrap.ControlNotSupported, pab.State, "run %d: %+v", run, pab)
		require.Contains(t, pab.Detail, "NotImplemented")
		tls := got[bucket+"TLS-only policy"]
		require.Equal(t, bootstrap.ControlApplied, tls.State, "run %d: %+v", run, tls)
		require.Contains(t, tls.Detail, "plain http", "the report says the endpoint it was applied on is plain http")
		if run == 1 {
			require.Contains(t, enc.Detail, "already in place")
			require.Contains(t, tls.Detail, "already in place", "the policy MinIO echoes back rewritten is recognised as ours")
		}
	}

	enc, err := b.aws.S3.GetBucketEncryption(b.ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.cfg.DocsBucket)})
	require.NoError(t, err)
	require.Equal(t, s3types.ServerSideEncryptionAes256, enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	pol, err := b.aws.S3.GetBucketPolicy(b.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.cfg.DocsBucket)})
	require.NoError(t, err)
	require.Contains(t, aws.ToString(pol.Policy), bootstrap.TLSOnlySid)
	require.Contains(t, aws.ToString(pol.Policy), "aws:SecureTransport")
}

func mustRun(t *testing.T, b *bundle) *bootstrap.Report {
	t.Helper()
	rep, err := bootstrap.Run(b.ctx, b.cfg, b.aws, nil)
	require.NoError(t, err)
	return rep
}

// With KMS keys configured, the bucket's default encryption is SSE-KMS with the local
// MinIO's key, and the queues carry the KMS key (fauxqs keeps KmsMasterKeyId).
func TestBootstrapAppliesConfiguredKMSKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.cfg.DocsKMSKeyID = config.LocalKMSKeyID
	b.cfg.QueueKMSKeyID = "alias/aws/sqs"
	rep := mustRun(t, b)

	got := controls(rep)
	enc := got["bucket "+b.cfg.DocsBucket+": default encryption"]
	require.Equal(t, bootstrap.ControlApplied, enc.State, "%+v", enc)
	require.Equal(t, "SSE-KMS with key "+config.LocalKMSKeyID+", set now", enc.Detail, "changed from SSE-S3 on this run")
	out, err := b.aws.S3.GetBucketEncryption(b.ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.cfg.DocsBucket)})
	require.NoError(t, err)
	def := out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault
	require.Equal(t, s3types.ServerSideEncryptionAwsKms, def.SSEAlgorithm)
	require.Equal(t, config.LocalKMSKeyID, aws.ToString(def.KMSMasterKeyID))

	for _, q := range b.cfg.Queues() {
		for _, name := range []string{q, b.cfg.DLQ(q)} {
			c := got["queue "+name+": server-side encryption"]
			require.Equal(t, bootstrap.ControlApplied, c.State, "%+v", c)
			attrs, err := b.aws.SQS.GetQueueAttributes(b.ctx, &sqs.GetQueueAttributesInput{
				QueueUrl: aws.String(rep.QueueURLs[name]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameKmsMasterKeyId},
			})
			require.NoError(t, err)
			require.Equal(t, "alias/aws/sqs", attrs.Attributes["KmsMasterKeyId"], name)
		}
	}
}

// A KMS key the endpoint does not have is a real failure, not "not supported": the
// bucket would otherwise go on with the old encryption while the operator asked for
// another.
func TestBootstrapFailsOnAnUnknownKMSKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.cfg.DocsKMSKeyID = "no-such-key-" + testkit.Suffix()
	rep, err := bootstrap.Run(b.ctx, b.cfg, b.aws, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "set default encryption (SSE-KMS with key "+b.cfg.DocsKMSKeyID+")")
	require.Contains(t, err.Error(), "does not exist", "the endpoint's words")
	for _, c := range rep.Controls {
		require.NotEqual(t, "default encryption", c.Name, "no report of a control that failed: %+v", c)
	}
}

// The TLS-only statement is enforced where MinIO enforces bucket policies, anonymous
// requests: over plain http it refuses even what a public-read statement allows, and
// our signed requests go on working. A bootstrap run puts it back beside the other
// statements of the policy, which it keeps.
func TestTLSOnlyPolicyRefusesAnonymousPlainHTTPAndKeepsOtherStatements(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.cfg.DocsEnv + "/packs/dpk_tls/doc_tls_v1.pdf"
	body := "%PDF-1.4 public by mistake"
	sum := sha256.Sum256([]byte(body))
	_, err := b.aws.S3.PutObject(b.ctx, &s3.PutObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(key),
		Body: strings.NewReader(body), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	require.NoError(t, err, "a signed request over plain http still works under the policy")

	arn := "arn:aws:s3:::" + b.cfg.DocsBucket
	publicRead := `{"Sid":"public-read-by-mistake","Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["` + arn + `/*"]}`
	setPolicy := func(statements ...string) {
		_, err := b.aws.S3.PutBucketPolicy(b.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.cfg.DocsBucket),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`)})
		require.NoError(t, err)
	}
	anonymous := func() int {
		url := aws.ToString(b.aws.S3.Options().BaseEndpoint) + "/" + b.cfg.DocsBucket + "/" + key
		require.True(t, strings.HasPrefix(url, "http://"), url)
		resp, err := http.Get(url) //nolint:gosec // the test's own loopback endpoint
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	setPolicy(publicRead) // the bootstrap statement gone, a public grant in its place
	require.Equal(t, http.StatusOK, anonymous(), "without the TLS-only statement the grant works over plain http")

	rep := mustRun(t, b)
	require.Equal(t, bootstrap.ControlApplied, controls(rep)["bucket "+b.cfg.DocsBucket+": TLS-only policy"].State)
	require.Equal(t, http.StatusForbidden, anonymous(), "the TLS-only statement overrides the grant for plain http")
	pol, err := b.aws.S3.GetBucketPolicy(b.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.cfg.DocsBucket)})
	require.NoError(t, err)
	require.Contains(t, aws.ToString(pol.Policy), "public-read-by-mistake", "the policy's other statements are kept")
	require.Contains(t, aws.ToString(pol.Policy), bootstrap.TLSOnlySid)

	_, err = b.aws.S3.HeadObject(b.ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.DocsBucket), Key: aws.String(key)})
	require.NoError(t, err, "our signed requests are not refused")
}
