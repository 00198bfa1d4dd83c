// Package infra opens trustdocs' connections (PostgreSQL, SQS, SNS, S3, DynamoDB) from a
// config.Config and checks that each answers, with errors that name what is wrong and
// how to fix it. It holds the concrete SDK clients and does not wrap them.
package infra

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/logging"
	"github.com/rs/zerolog"

	"trustdocs/config"
)

// AWS holds one client per service, all from one aws.Config.
type AWS struct {
	SQS      *sqs.Client
	SNS      *sns.Client
	S3       *s3.Client
	DynamoDB *dynamodb.Client
}

// NewAWS builds the clients. With TRUSTDOCS_STACK=local, a service whose endpoint is not
// set through the SDK's own variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) goes
// to the local emulator, and missing credentials default to the local pair.
//
// The SDK's own log lines (retries, response-body warnings) go to log at debug level,
// so they join the JSON stream and never interleave raw text with a command's output.
func NewAWS(ctx context.Context, cfg config.Config, log zerolog.Logger) (*AWS, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithLogger(logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			log.Debug().Str("component", "aws-sdk").Str("sdk_level", string(c)).Msgf(format, v...)
		})),
	}
	if cfg.Stack == config.StackLocal && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(config.LocalAccessKey, config.LocalSecretKey, "")))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	if bc, ok := ac.HTTPClient.(*awshttp.BuildableClient); ok {
		ac.HTTPClient = SDKHTTPClient{bc}
	}
	return &AWS{
		SQS: sqs.NewFromConfig(ac, func(o *sqs.Options) {
			o.BaseEndpoint = localEndpoint(cfg, o.BaseEndpoint, "SQS", config.LocalSQSEndpoint)
		}),
		SNS: sns.NewFromConfig(ac, func(o *sns.Options) {
			o.BaseEndpoint = localEndpoint(cfg, o.BaseEndpoint, "SNS", config.LocalSNSEndpoint)
		}),
		S3: s3.NewFromConfig(ac, func(o *s3.Options) {
			o.BaseEndpoint = localEndpoint(cfg, o.BaseEndpoint, "S3", config.LocalS3Endpoint)
			o.UsePathStyle = cfg.S3ForcePathStyle
			// MinIO and LocalStack answer without the newer response checksums; only
			// validate when the server sends one, so the SDK stays quiet about it.
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}),
		DynamoDB: dynamodb.NewFromConfig(ac, func(o *dynamodb.Options) {
			o.BaseEndpoint = localEndpoint(cfg, o.BaseEndpoint, "DYNAMODB", config.LocalDynamoDBEndpoint)
			// DynamoDB Local sends a CRC32 header its error bodies do not match; the SDK
			// then logs a warning per error. Real DynamoDB keeps the validation.
			o.DisableValidateResponseChecksum = cfg.Stack == config.StackLocal
		}),
	}, nil
}

// localEndpoint keeps an endpoint the SDK already resolved from the environment or shared
// config, and otherwise returns the local default when the stack is local.
func localEndpoint(cfg config.Config, resolved *string, service, local string) *string {
	if resolved != nil && *resolved != "" {
		return resolved
	}
	if v := os.Getenv("AWS_ENDPOINT_URL_" + service); v != "" {
		return aws.String(v)
	}
	if v := os.Getenv("AWS_ENDPOINT_URL"); v != "" {
		return aws.String(v)
	}
	if cfg.Stack == config.StackLocal {
		return aws.String(local)
	}
	return nil
}

// Endpoint reports where a client sends requests, for error messages.
func Endpoint(cfg config.Config, service string) string {
	local := map[string]string{
		"SQS": config.LocalSQSEndpoint, "SNS": config.LocalSNSEndpoint,
		"S3": config.LocalS3Endpoint, "DYNAMODB": config.LocalDynamoDBEndpoint,
	}[service]
	if e := localEndpoint(cfg, nil, service, local); e != nil {
		return *e
	}
	return "aws " + cfg.Region
}
