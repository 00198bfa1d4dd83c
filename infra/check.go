package infra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"trustdocs/config"
)

// Check is one named dependency probe: nil means it answers and is usable.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// RunChecks runs every check with its own timeout and returns the failures as one
// error of one line, or nil.
func RunChecks(ctx context.Context, checks []Check, timeout time.Duration) error {
	var failed []string
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := c.Run(cctx)
		cancel()
		if err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// PostgresCheck pings the database and makes sure the migrations ran.
func PostgresCheck(cfg config.Config, pool *pgxpool.Pool) Check {
	return Check{Name: "postgres", Run: func(ctx context.Context) error {
		target := dbTarget(cfg.DatabaseURL)
		if err := pool.Ping(ctx); err != nil {
			return fmt.Errorf("database %s unreachable: %s", target, Reason(err))
		}
		var ok bool
		err := pool.QueryRow(ctx,
			`select to_regclass('public.river_job') is not null and to_regclass('public.doc_pack') is not null`).Scan(&ok)
		if err != nil {
			return fmt.Errorf("database %s: %s", target, Reason(err))
		}
		if !ok {
			return fmt.Errorf("database %s has no schema: run `pipelinectl migrate`", target)
		}
		return nil
	}}
}

// QueueCheck makes sure an SQS queue exists.
func QueueCheck(cfg config.Config, client *sqs.Client, queue string) Check {
	return Check{Name: "sqs:" + queue, Run: func(ctx context.Context) error {
		_, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
		return awsProblem(err, "SQS", Endpoint(cfg, "SQS"), fmt.Sprintf("queue %q", queue))
	}}
}

// BucketCheck makes sure the docs bucket exists.
func BucketCheck(cfg config.Config, client *s3.Client) Check {
	return Check{Name: "s3:" + cfg.DocsBucket, Run: func(ctx context.Context) error {
		_, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.DocsBucket)})
		return awsProblem(err, "S3", Endpoint(cfg, "S3"), fmt.Sprintf("bucket %q", cfg.DocsBucket))
	}}
}

// TableCheck makes sure the trust cache table exists.
func TableCheck(cfg config.Config, client *dynamodb.Client) Check {
	return Check{Name: "dynamodb:" + cfg.TrustCacheTable, Run: func(ctx context.Context) error {
		_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.TrustCacheTable)})
		return awsProblem(err, "DynamoDB", Endpoint(cfg, "DYNAMODB"), fmt.Sprintf("table %q", cfg.TrustCacheTable))
	}}
}

// awsProblem turns an SDK error into one line that says which service, where, and what
// to do: a resource that does not exist needs bootstrap; an endpoint that does not answer
// needs the stack or the right AWS_ENDPOINT_URL_*.
func awsProblem(err error, service, endpoint, resource string) error {
	if err == nil {
		return nil
	}
	if IsNotFound(err) {
		return fmt.Errorf("%s %s not found at %s: run `pipelinectl bootstrap`", service, resource, endpoint)
	}
	return fmt.Errorf("%s at %s: %s", service, endpoint, Reason(err))
}

// IsNotFound reports whether an AWS error means the resource does not exist.
func IsNotFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchBucket", "ResourceNotFoundException", "QueueDoesNotExist",
			"AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue", "NotFoundException":
			return true
		}
	}
	return false
}

// Reason shortens a connection or API error to the part a person acts on.
func Reason(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return "unknown host " + dns.Name
		}
		return fmt.Sprintf("cannot connect to %s: %s", opAddr(op), shortNetErr(op.Err))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer before the timeout"
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Sprintf("%s: %s (SQLSTATE %s)", pgErr.Severity, pgErr.Message, pgErr.Code)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func opAddr(op *net.OpError) string {
	if op.Addr != nil {
		return op.Addr.String()
	}
	return op.Net
}

func shortNetErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// dbTarget is host:port/database from a DATABASE_URL, never its password.
func dbTarget(databaseURL string) string {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return "(unparsable DATABASE_URL)"
	}
	return fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// TopicCheck makes sure an SNS topic exists.
func TopicCheck(cfg config.Config, client *sns.Client, topic string) Check {
	return Check{Name: "sns:" + topic, Run: func(ctx context.Context) error {
		_, err := TopicARN(ctx, cfg, client, topic)
		return err
	}}
}

// TopicARN finds a topic's ARN by name without creating it (CreateTopic would).
func TopicARN(ctx context.Context, cfg config.Config, client *sns.Client, topic string) (string, error) {
	p := sns.NewListTopicsPaginator(client, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", awsProblem(err, "SNS", Endpoint(cfg, "SNS"), fmt.Sprintf("topic %q", topic))
		}
		for _, t := range page.Topics {
			if arn := aws.ToString(t.TopicArn); strings.HasSuffix(arn, ":"+topic) {
				return arn, nil
			}
		}
	}
	return "", fmt.Errorf("SNS topic %q not found at %s: run `pipelinectl bootstrap`", topic, Endpoint(cfg, "SNS"))
}

// QueueURL looks up a queue's URL by name.
func QueueURL(ctx context.Context, cfg config.Config, client *sqs.Client, queue string) (string, error) {
	out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		return "", awsProblem(err, "SQS", Endpoint(cfg, "SQS"), fmt.Sprintf("queue %q", queue))
	}
	return aws.ToString(out.QueueUrl), nil
}
