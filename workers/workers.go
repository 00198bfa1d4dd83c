// Package workers holds trustdocs' River job kinds, one file per kind, and Register,
// which cmd/worker and the tests use to build the same set of workers.
package workers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"trustdocs/docstore"
	"trustdocs/esign"
	"trustdocs/idcheck"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/trust"
)

// River queues, so slow kinds (rendering) cannot starve fast ones (publishing).
const (
	QueueOutbox = "outbox"
	QueueLedger = "ledger"
	QueueDocs   = "docs"
	QueueTrust  = "trust"
	// QueueProviders holds the jobs that call identity and background-check providers'
	// APIs; its concurrency is capped (ProviderConcurrency) so a slow provider never
	// takes the workers other users' events need.
	QueueProviders = "providers"
)

// ProviderConcurrency caps the jobs calling providers' APIs at once per worker process.
const ProviderConcurrency = 4

// GeneratorVersion is recorded on every pack (doc_pack.generator_ver): the renderer and
// its inputs' format. Change it when rendering changes, so a re-render is compared with
// the output of the same generator.
const GeneratorVersion = "trustdocs-render/1 gopdf/0.33.0"

// Deps is what job kinds need from the outside world. The interfaces hold only what the
// jobs call, so a single-job test can run a kind against PostgreSQL alone.
type Deps struct {
	// DB is the pool; a test may give its own transaction (jobs then begin savepoints).
	DB               store.DB
	SNS              Publisher // *sns.Client
	PipelineTopicARN string
	Docs             Documents // docstore.Store
	ESign            esign.Provider
	Log              zerolog.Logger

	// AgeCheckers retrieve identity sessions, by IdentityUpdate.Provider (persona,
	// stripe_identity); a provider without one (no API key) leaves ages unverified,
	// counted. Reports reads Checkr reports whose webhook lacks the result (nil: none).
	AgeCheckers   map[string]idcheck.AgeChecker
	Reports       idcheck.ReportReader
	AgeUnverified func(provider, reason string) // counts identities left without a verified age; nil: not counted

	Cache          CacheWriter        // trustcache.Writer
	RiskWindowDays []int              // rolling risk windows, shortest first
	Badges         *trust.BadgePolicy // nil: trust.DefaultBadgePolicy
	Now            func() time.Time   // nil: time.Now; tests move the clock
	// CacheWrites counts trust_cache items written (not refused as stale).
	CacheWrites atomic.Int64
}

// Publisher publishes outbound events; *sns.Client is one.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Documents stores documents write-once and reads them back; docstore.Store is one.
type Documents interface {
	Keys(packID, docID string, version int) docstore.Keys
	URI(key string) string
	PutOnce(ctx context.Context, key, contentType string, body []byte) (string, error)
	Get(ctx context.Context, key string) ([]byte, error)
}

// CacheWriter writes a user's trust_cache item from PostgreSQL; trustcache.Writer is one.
type CacheWriter interface {
	Write(ctx context.Context, db store.DB, userID string, now time.Time) (trust.CacheItem, bool, error)
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// esignFor is the provider that holds an envelope: the one this worker sends through, or
// the sandbox (whose envelopes need no account).
func (d *Deps) esignFor(provider string) (esign.Provider, error) {
	switch provider {
	case d.ESign.Name():
		return d.ESign, nil
	case "", esign.Sandbox{}.Name(): // "" : sent before providers were recorded, all by the sandbox
		return esign.Sandbox{}, nil
	}
	return nil, fmt.Errorf("the envelope is %s's but this worker sends through %s: run a worker with ESIGN_PROVIDER=%s to finish it",
		provider, d.ESign.Name(), provider)
}

func (d *Deps) ageUnverified(provider, reason string) {
	if d.AgeUnverified != nil {
		d.AgeUnverified(provider, reason)
	}
}

func (d *Deps) badges() trust.BadgePolicy {
	if d.Badges != nil {
		return *d.Badges
	}
	return trust.DefaultBadgePolicy
}

// RiverConfig is the River configuration of a worker process working maxWorkers jobs
// per queue: every kind, the periodic jobs, and the hook that writes each job's ids
// into its metadata (jobmeta). Callers add timeouts, logging and test settings.
func RiverConfig(deps *Deps, maxWorkers int) *river.Config {
	ws := river.NewWorkers()
	Register(ws, deps)
	return &river.Config{Queues: Queues(maxWorkers), Workers: ws, PeriodicJobs: PeriodicJobs(), Hooks: jobmeta.Hooks()}
}

// Register adds every job kind to workers.
func Register(workers *river.Workers, deps *Deps) {
	river.AddWorker(workers, &PublishEventWorker{deps: deps})
	river.AddWorker(workers, &RecordRiskEventWorker{deps: deps})
	river.AddWorker(workers, &BuildDocPackWorker{deps: deps})
	river.AddWorker(workers, &RenderDocumentWorker{deps: deps})
	river.AddWorker(workers, &SendEnvelopeWorker{deps: deps})
	river.AddWorker(workers, &EndDocPackWorker{deps: deps})
	river.AddWorker(workers, &StoreExecutedCopyWorker{deps: deps})
	river.AddWorker(workers, &AnchorEvidenceWorker{deps: deps})
	river.AddWorker(workers, &HandleWebhookWorker{deps: deps})
	river.AddWorker(workers, &ApplyIdentityWorker{deps: deps})
	river.AddWorker(workers, &RegisterBackgroundCheckWorker{deps: deps})
	river.AddWorker(workers, &ApplyBackgroundCheckWorker{deps: deps})
	river.AddWorker(workers, &ApplySocialCheckWorker{deps: deps})
	river.AddWorker(workers, &RecomputeRiskWorker{deps: deps})
	river.AddWorker(workers, &RollRiskWindowsWorker{deps: deps})
	river.AddWorker(workers, &RefreshTrustCacheWorker{deps: deps})
	river.AddWorker(workers, &VerifyAgeWorker{deps: deps})
}

// PeriodicJobs are the jobs River's leader inserts on a schedule: the daily roll of the
// risk windows at 00:00 UTC, and once at start, so a worker that was down at midnight
// catches up (a roll is idempotent).
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(DailyAtMidnightUTC{}, func() (river.JobArgs, *river.InsertOpts) {
			return RollRiskWindowsArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "roll_risk_windows"}),
	}
}

// DailyAtMidnightUTC is a River schedule: every day at 00:00 UTC.
type DailyAtMidnightUTC struct{}

func (DailyAtMidnightUTC) Next(t time.Time) time.Time {
	return t.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
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
		QueueProviders:     {MaxWorkers: min(maxWorkers, ProviderConcurrency)},
	}
}
