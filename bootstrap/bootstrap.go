// Package bootstrap provisions the AWS resources trustdocs runs on: SNS topics, SQS
// queues with their dead-letter queues, filtered SNS→SQS subscriptions, the Object Lock
// docs bucket and the trust_cache table, and the protections of data at rest and in
// transit on them (default encryption, public access block and a TLS-only policy on the
// bucket, server-side encryption on the queues), each reported as applied or not
// supported by the endpoint. Every step first looks for what exists and converges it to
// the wanted settings, so running it again changes nothing. The same code provisions the
// local emulators, LocalStack or a real account.
package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"trustdocs/config"
	"trustdocs/events"
	"trustdocs/infra"
)

// Step is one resource and what bootstrap did with it: "created", "updated" or "exists".
type Step struct {
	Kind, Name, Action, Detail string
}

// Report lists the steps of one run, in order.
type Report struct {
	Steps      []Step
	TopicARNs  map[string]string
	QueueURLs  map[string]string
	QueueARNs  map[string]string
	Subscribed []string // subscription ARNs
	// Controls are the protections of data at rest and in transit, one per resource and
	// control, each applied or not supported by the endpoint (never silently skipped).
	Controls []Control
}

func (r *Report) add(kind, name, action, detail string) {
	r.Steps = append(r.Steps, Step{kind, name, action, detail})
}

// Subscription is one SNS→SQS route.
type Subscription struct {
	Topic, Queue string
	Filter       map[string][]any // FilterPolicy on message attributes
}

// Subscriptions returns the routes: checkout events to the checkout queue; risk, trust
// and leg-completed events to the risk queue. booking.leg.completed is accepted from
// either topic, since volume counts must not depend on which topic upstream chose.
func Subscriptions(cfg config.Config) []Subscription {
	return []Subscription{
		{cfg.BookingTopic, cfg.CheckoutQueue, map[string][]any{
			events.TypeAttribute: {map[string]string{"prefix": events.CheckoutPrefix}}}},
		{cfg.BookingTopic, cfg.RiskQueue, map[string][]any{
			events.TypeAttribute: {events.LegCompleted}}},
		{cfg.RiskTopic, cfg.RiskQueue, map[string][]any{
			events.TypeAttribute: {
				map[string]string{"prefix": events.RiskPrefix},
				map[string]string{"prefix": events.TrustPrefix},
				events.LegCompleted,
			}}},
	}
}

// Run provisions everything, reporting each step through progress (which may be nil).
func Run(ctx context.Context, cfg config.Config, clients *infra.AWS, progress func(Step)) (*Report, error) {
	b := &runner{cfg: cfg, aws: clients, progress: progress, rep: &Report{
		TopicARNs: map[string]string{}, QueueURLs: map[string]string{}, QueueARNs: map[string]string{},
	}}
	for _, step := range []func(context.Context) error{b.topics, b.queues, b.queueEncryption, b.subscriptions, b.bucket, b.bucketControls, b.table} {
		if err := step(ctx); err != nil {
			return b.rep, err
		}
	}
	return b.rep, nil
}

type runner struct {
	cfg      config.Config
	aws      *infra.AWS
	progress func(Step)
	rep      *Report
}

func (b *runner) done(kind, name, action, detail string) {
	b.rep.add(kind, name, action, detail)
	if b.progress != nil {
		b.progress(b.rep.Steps[len(b.rep.Steps)-1])
	}
}

func (b *runner) topics(ctx context.Context) error {
	for _, name := range b.cfg.Topics() {
		// CreateTopic is idempotent for a name with the same attributes: it returns the
		// existing topic's ARN.
		out, err := b.aws.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			return fmt.Errorf("SNS topic %q at %s: %s", name, infra.Endpoint(b.cfg, "SNS"), infra.Reason(err))
		}
		b.rep.TopicARNs[name] = aws.ToString(out.TopicArn)
		b.done("topic", name, "ensured", aws.ToString(out.TopicArn))
	}
	return nil
}

func (b *runner) queues(ctx context.Context) error {
	for _, q := range b.cfg.Queues() {
		dlq := b.cfg.DLQ(q)
		// Dead letters keep the longest retention SQS allows, so an on-call engineer has
		// two weeks to look at them.
		if err := b.queue(ctx, dlq, map[string]string{"MessageRetentionPeriod": "1209600"}); err != nil {
			return err
		}
		redrive, _ := json.Marshal(map[string]string{
			"deadLetterTargetArn": b.rep.QueueARNs[dlq],
			"maxReceiveCount":     strconv.Itoa(b.cfg.MaxReceiveCount),
		})
		attrs := map[string]string{
			"VisibilityTimeout":             strconv.Itoa(int(b.cfg.VisibilityTimeout / time.Second)),
			"MessageRetentionPeriod":        "345600", // 4 days, shorter than the DLQ's
			"ReceiveMessageWaitTimeSeconds": "20",
			"RedrivePolicy":                 string(redrive),
		}
		if err := b.queue(ctx, q, attrs); err != nil {
			return err
		}
	}
	return nil
}

// queue creates a queue with attrs, or sets attrs on the one that exists (CreateQueue
// refuses an existing name with different attributes).
func (b *runner) queue(ctx context.Context, name string, attrs map[string]string) error {
	where := infra.Endpoint(b.cfg, "SQS")
	action := "exists"
	var url string
	got, err := b.aws.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case err == nil:
		url = aws.ToString(got.QueueUrl)
		cur, err := b.aws.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: got.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			return fmt.Errorf("SQS queue %q at %s: %s", name, where, infra.Reason(err))
		}
		if !sameAttributes(cur.Attributes, attrs) {
			if _, err := b.aws.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: got.QueueUrl, Attributes: attrs}); err != nil {
				return fmt.Errorf("SQS queue %q at %s: set attributes: %s", name, where, infra.Reason(err))
			}
			action = "updated"
		}
	case infra.IsNotFound(err):
		out, err := b.aws.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			return fmt.Errorf("SQS queue %q at %s: create: %s", name, where, infra.Reason(err))
		}
		url, action = aws.ToString(out.QueueUrl), "created"
	default:
		return fmt.Errorf("SQS queue %q at %s: %s", name, where, infra.Reason(err))
	}
	arn, err := b.aws.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("SQS queue %q at %s: %s", name, where, infra.Reason(err))
	}
	b.rep.QueueURLs[name] = url
	b.rep.QueueARNs[name] = arn.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	b.done("queue", name, action, url)
	return nil
}

func sameAttributes(have, want map[string]string) bool {
	for k, v := range want {
		if k == "RedrivePolicy" || k == "Policy" {
			if !sameJSON(have[k], v) {
				return false
			}
			continue
		}
		if have[k] != v {
			return false
		}
	}
	return true
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	// Services echo numbers as strings or numbers; compare through a canonical form.
	xa, _ := json.Marshal(normalize(x))
	ya, _ := json.Marshal(normalize(y))
	return string(xa) == string(ya)
}

func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return v
}

func (b *runner) subscriptions(ctx context.Context) error {
	// Each queue gets a policy that lets exactly our topics deliver to it (real SQS
	// refuses SNS deliveries without one; the emulators ignore it).
	topicsFor := map[string][]string{}
	for _, s := range Subscriptions(b.cfg) {
		topicsFor[s.Queue] = append(topicsFor[s.Queue], b.rep.TopicARNs[s.Topic])
	}
	for queue, topics := range topicsFor {
		policy, _ := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Sid": "trustdocs-sns", "Effect": "Allow",
				"Principal": map[string]string{"Service": "sns.amazonaws.com"},
				"Action":    "sqs:SendMessage", "Resource": b.rep.QueueARNs[queue],
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topics}},
			}},
		})
		if _, err := b.aws.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
			QueueUrl: aws.String(b.rep.QueueURLs[queue]), Attributes: map[string]string{"Policy": string(policy)},
		}); err != nil {
			return fmt.Errorf("SQS queue %q policy: %s", queue, infra.Reason(err))
		}
	}

	for _, s := range Subscriptions(b.cfg) {
		if err := b.subscribe(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (b *runner) subscribe(ctx context.Context, s Subscription) error {
	topicARN, queueARN := b.rep.TopicARNs[s.Topic], b.rep.QueueARNs[s.Queue]
	filter, _ := json.Marshal(s.Filter)
	attrs := map[string]string{
		"FilterPolicy":       string(filter),
		"FilterPolicyScope":  "MessageAttributes",
		"RawMessageDelivery": "true",
	}
	name := s.Topic + " -> " + s.Queue
	existing, err := b.findSubscription(ctx, topicARN, queueARN)
	if err != nil {
		return err
	}
	if existing == "" {
		out, err := b.aws.SNS.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN),
			Attributes: attrs, ReturnSubscriptionArn: true,
		})
		if err != nil {
			return fmt.Errorf("SNS subscription %s: %s", name, infra.Reason(err))
		}
		b.rep.Subscribed = append(b.rep.Subscribed, aws.ToString(out.SubscriptionArn))
		b.done("subscription", name, "created", string(filter))
		return nil
	}
	cur, err := b.aws.SNS.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(existing)})
	if err != nil {
		return fmt.Errorf("SNS subscription %s: %s", name, infra.Reason(err))
	}
	action := "exists"
	for _, k := range []string{"FilterPolicy", "RawMessageDelivery"} {
		if (k == "FilterPolicy" && sameJSON(cur.Attributes[k], attrs[k])) || cur.Attributes[k] == attrs[k] {
			continue
		}
		if _, err := b.aws.SNS.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
			SubscriptionArn: aws.String(existing), AttributeName: aws.String(k), AttributeValue: aws.String(attrs[k]),
		}); err != nil {
			return fmt.Errorf("SNS subscription %s: set %s: %s", name, k, infra.Reason(err))
		}
		action = "updated"
	}
	b.rep.Subscribed = append(b.rep.Subscribed, existing)
	b.done("subscription", name, action, string(filter))
	return nil
}

// findSubscription returns the ARN of the topic's subscription for the queue, or "".
// It pages through ListSubscriptions, which every SNS implementation we use supports.
func (b *runner) findSubscription(ctx context.Context, topicARN, queueARN string) (string, error) {
	p := sns.NewListSubscriptionsPaginator(b.aws.SNS, &sns.ListSubscriptionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("SNS list subscriptions at %s: %s", infra.Endpoint(b.cfg, "SNS"), infra.Reason(err))
		}
		for _, s := range page.Subscriptions {
			if aws.ToString(s.TopicArn) == topicARN && aws.ToString(s.Endpoint) == queueARN &&
				aws.ToString(s.Protocol) == "sqs" && aws.ToString(s.SubscriptionArn) != "PendingConfirmation" {
				return aws.ToString(s.SubscriptionArn), nil
			}
		}
	}
	return "", nil
}

func (b *runner) bucket(ctx context.Context) error {
	name, where := b.cfg.DocsBucket, infra.Endpoint(b.cfg, "S3")
	action := "exists"
	_, err := b.aws.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	switch {
	case err == nil:
	case infra.IsNotFound(err):
		in := &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)}
		if b.cfg.Region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
				LocationConstraint: s3types.BucketLocationConstraint(b.cfg.Region)}
		}
		if _, err := b.aws.S3.CreateBucket(ctx, in); err != nil && !isCode(err, "BucketAlreadyOwnedByYou") {
			return fmt.Errorf("S3 bucket %q at %s: create: %s", name, where, infra.Reason(err))
		}
		action = "created"
	default:
		return fmt.Errorf("S3 bucket %q at %s: %s", name, where, infra.Reason(err))
	}

	want := &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionMode(b.cfg.RetentionMode)}
	if b.cfg.Retention.Years > 0 {
		want.Years = aws.Int32(b.cfg.Retention.Years)
	} else {
		want.Days = aws.Int32(b.cfg.Retention.Days)
	}
	cur, err := b.aws.S3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(name)})
	if err != nil && !isCode(err, "ObjectLockConfigurationNotFoundError") {
		return fmt.Errorf("S3 bucket %q at %s: object lock: %s", name, where, infra.Reason(err))
	}
	if err == nil && cur.ObjectLockConfiguration != nil && cur.ObjectLockConfiguration.ObjectLockEnabled != s3types.ObjectLockEnabledEnabled {
		return fmt.Errorf("S3 bucket %q exists without Object Lock: documents cannot be made immutable there; use another DOCS_BUCKET", name)
	}
	if err == nil && sameRetention(cur.ObjectLockConfiguration, want) {
		b.done("bucket", name, action, "object lock "+b.cfg.RetentionMode+" "+b.cfg.Retention.String())
		return nil
	}
	if _, err := b.aws.S3.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
		Bucket: aws.String(name),
		ObjectLockConfiguration: &s3types.ObjectLockConfiguration{
			ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
			Rule:              &s3types.ObjectLockRule{DefaultRetention: want},
		},
	}); err != nil {
		if isCode(err, "InvalidBucketState") {
			return fmt.Errorf("S3 bucket %q exists without Object Lock: documents cannot be made immutable there; use another DOCS_BUCKET", name)
		}
		return fmt.Errorf("S3 bucket %q at %s: set object lock: %s", name, where, infra.Reason(err))
	}
	if action == "exists" {
		action = "updated"
	}
	b.done("bucket", name, action, "object lock "+b.cfg.RetentionMode+" "+b.cfg.Retention.String())
	return nil
}

func sameRetention(c *s3types.ObjectLockConfiguration, want *s3types.DefaultRetention) bool {
	if c == nil || c.Rule == nil || c.Rule.DefaultRetention == nil {
		return false
	}
	d := c.Rule.DefaultRetention
	return d.Mode == want.Mode && aws.ToInt32(d.Days) == aws.ToInt32(want.Days) && aws.ToInt32(d.Years) == aws.ToInt32(want.Years)
}

func (b *runner) table(ctx context.Context) error {
	name, where := b.cfg.TrustCacheTable, infra.Endpoint(b.cfg, "DYNAMODB")
	_, err := b.aws.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err == nil {
		b.done("table", name, "exists", "key user_id")
		return nil
	}
	if !infra.IsNotFound(err) {
		return fmt.Errorf("DynamoDB table %q at %s: %s", name, where, infra.Reason(err))
	}
	_, err = b.aws.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("user_id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("user_id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil && !isCode(err, "ResourceInUseException") {
		return fmt.Errorf("DynamoDB table %q at %s: create: %s", name, where, infra.Reason(err))
	}
	w := dynamodb.NewTableExistsWaiter(b.aws.DynamoDB)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("DynamoDB table %q at %s: not active: %s", name, where, infra.Reason(err))
	}
	b.done("table", name, "created", "key user_id")
	return nil
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
