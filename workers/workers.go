// Package workers holds trustdocs' River job kinds, one file per kind, and Register,
// which cmd/worker and the tests use to build the same set of workers.
package workers

import (
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/esign"
)

// River queues, so slow kinds (rendering) cannot starve fast ones (publishing).
const (
	QueueOutbox = "outbox"
	QueueLedger = "ledger"
	QueueDocs   = "docs"
	QueueTrust  = "trust"
)

// GeneratorVersion is recorded on every pack (doc_pack.generator_ver): the renderer and
// its inputs' format. Change it when rendering changes, so a re-render is compared with
// the output of the same generator.
const GeneratorVersion = "trustdocs-render/1 gopdf/0.33.0"

// Deps is what job kinds need from the outside world.
type Deps struct {
	Pool             *pgxpool.Pool
	SNS              *sns.Client
	S3               *s3.Client
	PipelineTopicARN string
	DocsBucket       string
	DocsEnv          string
	ESign            esign.Provider
	Log              zerolog.Logger
}

// Register adds every job kind to workers.
func Register(workers *river.Workers, deps *Deps) {
	river.AddWorker(workers, &PublishEventWorker{deps: deps})
	river.AddWorker(workers, &RecordRiskEventWorker{deps: deps})
	river.AddWorker(workers, &BuildDocPackWorker{deps: deps})
	river.AddWorker(workers, &RenderDocumentWorker{deps: deps})
	river.AddWorker(workers, &SendEnvelopeWorker{deps: deps})
	river.AddWorker(workers, &EndDocPackWorker{deps: deps})
	river.AddWorker(workers, &HandleWebhookWorker{deps: deps})
	river.AddWorker(workers, &ApplyIdentityWorker{deps: deps})
}

// Queues returns River's queue configuration for a worker process working maxWorkers
// jobs at once.
func Queues(maxWorkers int) map[string]river.QueueConfig {
	return map[string]river.QueueConfig{
		river.QueueDefault: {MaxWorkers: maxWorkers},
		QueueOutbox:        {MaxWorkers: maxWorkers},
		QueueLedger:        {MaxWorkers: maxWorkers},
		QueueDocs:          {MaxWorkers: maxWorkers},
		QueueTrust:         {MaxWorkers: maxWorkers},
	}
}
