// Package config reads trustdocs' settings from environment variables. Every setting has
// a default that points at the local stack (`make up`), so a developer needs no setup;
// production sets TRUSTDOCS_STACK=aws and the names it uses.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stack values: which infrastructure the AWS clients talk to by default.
const (
	// StackLocal points every AWS client without an explicit endpoint at the local
	// emulators on loopback, with the local credential pair and path-style S3.
	StackLocal = "local"
	// StackAWS leaves endpoints and credentials to the SDK's usual chain: a real account,
	// or LocalStack through AWS_ENDPOINT_URL.
	StackAWS = "aws"
)

// Local stack defaults; scripts/devstack.sh starts the services on these ports.
const (
	LocalSQSEndpoint      = "http://127.0.0.1:4566"
	LocalSNSEndpoint      = "http://127.0.0.1:4566"
	LocalS3Endpoint       = "http://127.0.0.1:9000"
	LocalDynamoDBEndpoint = "http://127.0.0.1:8000"
	// LocalAccessKey and LocalSecretKey are the emulators' credential pair on loopback
	// (MinIO's root user); they open nothing outside this machine.
	LocalAccessKey = "trustdocs"
	LocalSecretKey = "trustdocs-local"
	// LocalKMSKeyID is the name of the key the local stack's MinIO encrypts with
	// (devstack.sh gives it MINIO_KMS_SECRET_KEY_FILE): the DOCS_KMS_KEY_ID that makes the
	// local bucket use SSE-KMS.
	LocalKMSKeyID = "trustdocs-local"
)

// Providers whose webhooks the receiver accepts, in the spelling of the URL path.
var Providers = []string{"docusign", "dropboxsign", "persona", "stripe", "checkr"}

// Config is the whole configuration of every binary. Zero values are never used: Load
// fills defaults.
type Config struct {
	DatabaseURL string
	Stack       string
	Region      string

	DocsBucket    string
	DocsEnv       string
	RetentionMode string // COMPLIANCE or GOVERNANCE
	Retention     Retention
	// DocsKMSKeyID is the KMS key of the documents' server-side encryption (SSE-KMS);
	// "" means SSE-S3 (AES256, keys managed by S3).
	DocsKMSKeyID string
	// QueueKMSKeyID is the KMS key of the queues' server-side encryption; "" means
	// SSE-SQS (SqsManagedSseEnabled, keys managed by SQS).
	QueueKMSKeyID string

	TrustCacheTable string

	CheckoutQueue         string
	RiskQueue             string
	WebhookQueue          string
	DLQSuffix             string
	MaxReceiveCount       int
	VisibilityTimeout     time.Duration
	BookingTopic          string
	RiskTopic             string
	PipelineTopic         string
	S3ForcePathStyle      bool
	ReceiverAddr          string
	WorkerAddr            string
	LogLevel              string
	WebhookSecrets        map[string][]string
	WebhookMaxBytes       int
	Receiver              Receiver
	ShutdownGrace         time.Duration
	ConsumerConcurrency   int
	RiverWorkerConcurrent int
	RiverJobTimeout       time.Duration
	RiverFetchCooldown    time.Duration
	Pprof, PprofRemote    bool
	RiverRescueAfter      time.Duration
	RiskWindowDays        []int // rolling risk windows, shortest first
	ESign                 ESign
	Stuck                 Stuck
	Keep                  Keep
	Identity              IdentityAPIs
}

// IdentityAPIs are the identity and background-check providers' APIs the worker asks
// when a webhook does not carry the answer (a date of birth, a report's result). A
// provider without a key is not asked: its identities stay without a verified age,
// counted (trustdocs_identity_age_unverified_total), and `pipelinectl check` warns.
type IdentityAPIs struct {
	PersonaAPIKey, PersonaAPIURL string
	StripeAPIKey, StripeAPIURL   string
	CheckrAPIKey, CheckrAPIURL   string
}

// MissingKeys names the identity providers whose API key is not set.
func (i IdentityAPIs) MissingKeys() []string {
	var out []string
	for name, key := range map[string]string{"PERSONA_API_KEY": i.PersonaAPIKey, "STRIPE_API_KEY": i.StripeAPIKey, "CHECKR_API_KEY": i.CheckrAPIKey} {
		if key == "" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Stuck is when work counts as stuck, for the gauges, `pipelinectl packs stuck` and the
// alerts.
type Stuck struct {
	DraftPackAfter    time.Duration // STUCK_PACK_AFTER: a pack still draft (not rendered)
	UnsignedPackAfter time.Duration // UNSIGNED_PACK_AFTER: a pack issued and not signed
	EnvelopeAfter     time.Duration // ENVELOPE_EXPIRES_AFTER: an envelope still sent (the provider's expiry)
}

// Receiver bounds what slow or abusive clients can hold of the receiver (README
// "Configuration" gives the reasoning for each default).
type Receiver struct {
	ReadTimeout   time.Duration // RECEIVER_READ_TIMEOUT: headers and body
	WriteTimeout  time.Duration // RECEIVER_WRITE_TIMEOUT: end of headers to end of answer
	IdleTimeout   time.Duration // RECEIVER_IDLE_TIMEOUT: keep-alive between requests
	MaxInflight   int           // RECEIVER_MAX_INFLIGHT_PER_PROVIDER: verified, waiting for SQS
	MaxUnverified int           // RECEIVER_MAX_UNVERIFIED_PER_PROVIDER: reading or verifying
}

// Keep is how long the operational tables keep their rows before the prune job deletes
// them (README "Pruning the operational tables" gives the reasoning for each default).
type Keep struct {
	Inbox         time.Duration // RETAIN_INBOX: must outlive every way a duplicate can arrive
	Failures      time.Duration // RETAIN_FAILURES: message_failure rows
	WebhookEvents time.Duration // RETAIN_WEBHOOK_EVENTS: provider events' dedupe and record
	OpsActions    time.Duration // RETAIN_OPS_ACTIONS: the operators' audit
}

// E-sign providers ESIGN_PROVIDER names.
const (
	ESignSandbox     = "sandbox"
	ESignDocuSign    = "docusign"
	ESignDropboxSign = "dropboxsign"
)

// ESign is which e-signature provider the worker sends envelopes through, and its
// account.
type ESign struct {
	Provider         string // sandbox, docusign or dropboxsign
	WebhookPublicURL string // the receiver's public base URL (DocuSign's per-envelope Connect)

	DocuSignAuthURL        string
	DocuSignIntegrationKey string
	DocuSignUserID         string
	DocuSignPrivateKeyFile string
	DocuSignAccountID      string

	DropboxSignAPIKey   string
	DropboxSignAPIURL   string
	DropboxSignTestMode bool
}

// Missing names the variables the configured provider needs and does not have, in one
// line ("" when complete): a worker refuses to start half-configured.
func (e ESign) Missing(webhookSecrets map[string][]string) string {
	var miss []string
	need := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			miss = append(miss, name)
		}
	}
	switch e.Provider {
	case ESignDocuSign:
		need("WEBHOOK_PUBLIC_URL", e.WebhookPublicURL)
		need("DOCUSIGN_INTEGRATION_KEY", e.DocuSignIntegrationKey)
		need("DOCUSIGN_USER_ID", e.DocuSignUserID)
		need("DOCUSIGN_PRIVATE_KEY_FILE", e.DocuSignPrivateKeyFile)
		need("DOCUSIGN_ACCOUNT_ID", e.DocuSignAccountID)
		if len(webhookSecrets[ESignDocuSign]) == 0 {
			miss = append(miss, "WEBHOOK_SECRET_DOCUSIGN (the Connect HMAC key envelopes are signed with)")
		}
	case ESignDropboxSign:
		need("DROPBOXSIGN_API_KEY", e.DropboxSignAPIKey)
	}
	if len(miss) == 0 {
		return ""
	}
	return fmt.Sprintf("ESIGN_PROVIDER=%s needs %s", e.Provider, strings.Join(miss, ", "))
}

// Retention is an S3 Object Lock default retention: a number of days or of years.
type Retention struct {
	Days  int32
	Years int32
}

func (r Retention) String() string {
	if r.Years > 0 {
		return fmt.Sprintf("%dy", r.Years)
	}
	return fmt.Sprintf("%dd", r.Days)
}

// ParseRetention reads "7y" or "30d".
func ParseRetention(s string) (Retention, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return Retention{}, fmt.Errorf("retention %q: want a number and a unit, like 7y or 30d", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return Retention{}, fmt.Errorf("retention %q: want a positive number of days or years, like 7y or 30d", s)
	}
	switch s[len(s)-1] {
	case 'y':
		return Retention{Years: int32(n)}, nil
	case 'd':
		return Retention{Days: int32(n)}, nil
	}
	return Retention{}, fmt.Errorf("retention %q: unit must be y or d", s)
}

// Var documents one environment variable; the README's table is written from Vars.
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable Load reads, with its default, and GOGC, which the worker
// and receiver set through ApplyGC.
var Vars = []Var{
	{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trustdocs?sslmode=disable", "PostgreSQL connection string (pgx)"},
	{"DATABASE_PASSWORD_FILE", "", "path of a file holding only the database password, set into DATABASE_URL (which then names the user and no password): for a password rotated apart from the URL"},
	{"TRUSTDOCS_STACK", StackLocal, "`local`: AWS clients default to the local emulators; `aws`: the SDK's own endpoint and credential chain"},
	{"AWS_REGION", "us-east-1", "AWS region"},
	{"AWS_ENDPOINT_URL", "", "one endpoint for every AWS service (LocalStack); the SDK's per-service AWS_ENDPOINT_URL_SQS, _SNS, _S3, _DYNAMODB win over it"},
	{"DOCS_BUCKET", "docs", "S3 bucket of the signed documents (Object Lock)"},
	{"DOCS_ENV", "prod", "key prefix inside the bucket: {DOCS_ENV}/packs/{pack_id}/"},
	{"DOCS_RETENTION_MODE", "COMPLIANCE", "Object Lock default retention mode set by bootstrap (COMPLIANCE or GOVERNANCE)"},
	{"DOCS_RETENTION", "7y", "Object Lock default retention set by bootstrap, in years (7y) or days (1d)"},
	{"DOCS_KMS_KEY_ID", "", "KMS key (id, ARN or alias) of the docs bucket's server-side encryption: its default encryption (set by bootstrap) and every put names it (SSE-KMS); empty: SSE-S3 (AES256)"},
	{"QUEUE_KMS_KEY_ID", "", "KMS key of the queues' server-side encryption (set by bootstrap); empty: SQS-managed keys (SqsManagedSseEnabled)"},
	{"TRUST_CACHE_TABLE", "trust_cache", "DynamoDB table of the trust cache"},
	{"CHECKOUT_QUEUE", "checkout", "SQS queue of checkout events"},
	{"RISK_QUEUE", "risk-windows", "SQS queue of risk, trust and leg-completed events"},
	{"WEBHOOK_QUEUE", "provider-webhooks", "SQS queue the receiver fills with verified webhooks"},
	{"DLQ_SUFFIX", "-dlq", "each queue's dead-letter queue is its name plus this suffix"},
	{"QUEUE_MAX_RECEIVE_COUNT", "5", "receives before SQS moves a message to its DLQ"},
	{"QUEUE_VISIBILITY_TIMEOUT", "60s", "visibility timeout set on the queues by bootstrap"},
	{"BOOKING_TOPIC", "booking-events", "SNS topic of booking events"},
	{"RISK_TOPIC", "risk-events", "SNS topic of risk and trust events"},
	{"PIPELINE_TOPIC", "pipeline-events", "SNS topic of the events this pipeline publishes"},
	{"S3_FORCE_PATH_STYLE", "true when TRUSTDOCS_STACK=local", "path-style S3 addressing (MinIO needs it)"},
	{"RECEIVER_ADDR", "127.0.0.1:8080", "receiver listen address"},
	{"WORKER_ADDR", "127.0.0.1:9091", "worker health and metrics address"},
	{"WEBHOOK_MAX_BYTES", "131072", "largest webhook body the receiver accepts (413 above); keep the base64 envelope under the SQS message limit"},
	{"RECEIVER_READ_TIMEOUT", "10s", "longest the receiver waits for a request's headers and body (408, connection closed, above)"},
	{"RECEIVER_WRITE_TIMEOUT", "20s", "longest from a request's headers to the end of its answer; more than RECEIVER_READ_TIMEOUT plus the 5 s enqueue wait"},
	{"RECEIVER_IDLE_TIMEOUT", "75s", "how long a keep-alive connection to the receiver may wait for its next request"},
	{"RECEIVER_MAX_INFLIGHT_PER_PROVIDER", "1024", "verified webhooks of one provider waiting for SQS at once; beyond, 503 with Retry-After"},
	{"RECEIVER_MAX_UNVERIFIED_PER_PROVIDER", "512", "requests of one provider reading their body or being verified at once; beyond, 503 with Retry-After"},
	{"WEBHOOK_SECRET_<PROVIDER>", "", "webhook secrets per provider (DOCUSIGN, DROPBOXSIGN, PERSONA, STRIPE, CHECKR), comma-separated during rotation"},
	{"CONSUMER_CONCURRENCY", "1", "SQS receive loops per queue in the worker (one keeps up with ~6,000 events/s; BENCHMARKS.md)"},
	{"RIVER_WORKERS", "20", "River jobs worked at once per queue per worker process"},
	{"RIVER_FETCH_COOLDOWN", "20ms", "least time between two fetches of a River queue (River's default, 100ms, caps a queue at RIVER_WORKERS jobs per 100 ms)"},
	{"RIVER_JOB_TIMEOUT", "1m", "longest a River job may run before it is cancelled and retried"},
	{"RIVER_RESCUE_AFTER", "10m", "a job still running this long (its worker died) is rescued and retried; at least RIVER_JOB_TIMEOUT"},
	{"RISK_WINDOWS", "30,90", "rolling risk windows in days, comma-separated; rolled daily at 00:00 UTC"},
	{"SHUTDOWN_GRACE", "30s", "how long SIGTERM waits for in-flight work"},
	{"PPROF", "", "1: serve Go's profiler at /debug/pprof/ on WORKER_ADDR and RECEIVER_ADDR, to loopback clients only"},
	{"PPROF_REMOTE", "", "1: with PPROF=1, also answer profiler requests from other hosts (only behind a private network)"},
	{"ESIGN_PROVIDER", ESignSandbox, "e-signature provider the worker sends envelopes through: sandbox (built in, no account), docusign or dropboxsign"},
	{"WEBHOOK_PUBLIC_URL", "", "the receiver's public base URL; DocuSign envelopes send their Connect events to $WEBHOOK_PUBLIC_URL/webhooks/docusign"},
	{"DOCUSIGN_AUTH_URL", "https://account.docusign.com", "DocuSign's OAuth host (https://account-d.docusign.com for the developer sandbox)"},
	{"DOCUSIGN_INTEGRATION_KEY", "", "DocuSign app's integration key (JWT grant)"},
	{"DOCUSIGN_USER_ID", "", "the DocuSign user the app acts as (consent granted)"},
	{"DOCUSIGN_PRIVATE_KEY_FILE", "", "path of the app's RSA private key (PEM)"},
	{"DOCUSIGN_ACCOUNT_ID", "", "the DocuSign account envelopes are sent from"},
	{"DROPBOXSIGN_API_KEY", "", "Dropbox Sign API key (also the key its callbacks are signed with: WEBHOOK_SECRET_DROPBOXSIGN defaults to it)"},
	{"DROPBOXSIGN_API_URL", "https://api.hellosign.com/v3", "Dropbox Sign API base URL"},
	{"DROPBOXSIGN_TEST_MODE", "false", "send Dropbox Sign requests in test mode (not legally binding, free)"},
	{"STUCK_PACK_AFTER", "15m", "a pack still draft this long is stuck (gauge, alert, pipelinectl packs stuck)"},
	{"UNSIGNED_PACK_AFTER", "14d", "a pack issued and not signed this long is stuck"},
	{"ENVELOPE_EXPIRES_AFTER", "120d", "an envelope still sent this long is past the provider's expiry (DocuSign's default is 120 days)"},
	{"RETAIN_INBOX", "30d", "inbox rows older than this are pruned; longer than SQS retention (14d max) plus the DLQ's and a replay, so a duplicate is still recognised"},
	{"RETAIN_FAILURES", "30d", "message_failure rows older than this are pruned (a dead letter's explanation outlives the DLQ's 14 days)"},
	{"RETAIN_WEBHOOK_EVENTS", "90d", "webhook_event rows older than this are pruned (providers retry for days; the record serves traces)"},
	{"RETAIN_OPS_ACTIONS", "400d", "ops_action and its items older than this are pruned (an audit kept over a year)"},
	{"PERSONA_API_KEY", "", "Persona API key (read inquiries), to verify the age of a passed inquiry whose webhook has no date of birth"},
	{"PERSONA_API_URL", "https://withpersona.com", "Persona API base URL"},
	{"STRIPE_API_KEY", "", "Stripe restricted key with Identity read, to retrieve verified sessions' date of birth (events never carry it)"},
	{"STRIPE_API_URL", "https://api.stripe.com", "Stripe API base URL"},
	{"CHECKR_API_KEY", "", "Checkr API key, to read a completed report's result when its webhook lacks it"},
	{"CHECKR_API_URL", "https://api.checkr.com", "Checkr API base URL"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"GOGC", "400 in the worker and receiver", "Go's garbage-collector target, read by the runtime; with GOMEMLIMIT for memory-tight containers (RUNBOOK)"},
}

// SecretVars are the variables that hold credentials. Each is also read from a file,
// NAME_FILE (a path, as secrets are mounted), once at start; the README states the rule
// once, above its table, and a test keeps that list equal to this one. Nothing else in
// Vars is a credential: AWS credentials come from the SDK's own chain, which has its own
// files (shared credentials, web identity token).
var SecretVars = []string{"DATABASE_URL", "WEBHOOK_SECRET_<PROVIDER>", "DROPBOXSIGN_API_KEY", "PERSONA_API_KEY", "STRIPE_API_KEY", "CHECKR_API_KEY"}

// Load reads the environment, applies defaults and validates the result.
func Load() (Config, error) { return LoadFrom(os.Getenv) }

// LoadFrom is Load with a custom lookup, for tests.
func LoadFrom(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	intVar := func(name string, def int) int {
		v := get(name, strconv.Itoa(def))
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", name, v))
		}
		return n
	}
	durVar := func(name string, def time.Duration) time.Duration {
		v := get(name, FormatDuration(def))
		d, err := ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration like 30s, 15m or 14d", name, v))
		}
		return d
	}

	c := Config{
		Stack:                 get("TRUSTDOCS_STACK", StackLocal),
		Region:                get("AWS_REGION", get("AWS_DEFAULT_REGION", "us-east-1")),
		DocsBucket:            get("DOCS_BUCKET", "docs"),
		DocsEnv:               get("DOCS_ENV", "prod"),
		RetentionMode:         strings.ToUpper(get("DOCS_RETENTION_MODE", "COMPLIANCE")),
		DocsKMSKeyID:          get("DOCS_KMS_KEY_ID", ""),
		QueueKMSKeyID:         get("QUEUE_KMS_KEY_ID", ""),
		TrustCacheTable:       get("TRUST_CACHE_TABLE", "trust_cache"),
		CheckoutQueue:         get("CHECKOUT_QUEUE", "checkout"),
		RiskQueue:             get("RISK_QUEUE", "risk-windows"),
		WebhookQueue:          get("WEBHOOK_QUEUE", "provider-webhooks"),
		DLQSuffix:             get("DLQ_SUFFIX", "-dlq"),
		MaxReceiveCount:       intVar("QUEUE_MAX_RECEIVE_COUNT", 5),
		VisibilityTimeout:     durVar("QUEUE_VISIBILITY_TIMEOUT", 60*time.Second),
		BookingTopic:          get("BOOKING_TOPIC", "booking-events"),
		RiskTopic:             get("RISK_TOPIC", "risk-events"),
		PipelineTopic:         get("PIPELINE_TOPIC", "pipeline-events"),
		ReceiverAddr:          get("RECEIVER_ADDR", "127.0.0.1:8080"),
		WorkerAddr:            get("WORKER_ADDR", "127.0.0.1:9091"),
		LogLevel:              strings.ToLower(get("LOG_LEVEL", "info")),
		ShutdownGrace:         durVar("SHUTDOWN_GRACE", 30*time.Second),
		ConsumerConcurrency:   intVar("CONSUMER_CONCURRENCY", 1),
		RiverWorkerConcurrent: intVar("RIVER_WORKERS", 20),
		RiverFetchCooldown:    durVar("RIVER_FETCH_COOLDOWN", 20*time.Millisecond),
		Pprof:                 get("PPROF", "") == "1",
		PprofRemote:           get("PPROF_REMOTE", "") == "1",
		RiverJobTimeout:       durVar("RIVER_JOB_TIMEOUT", time.Minute),
		RiverRescueAfter:      durVar("RIVER_RESCUE_AFTER", 10*time.Minute),
		WebhookSecrets:        map[string][]string{},
		WebhookMaxBytes:       intVar("WEBHOOK_MAX_BYTES", 128<<10),
	}

	ret, err := ParseRetention(get("DOCS_RETENTION", "7y"))
	if err != nil {
		errs = append(errs, fmt.Errorf("DOCS_RETENTION: %w", err))
	}
	c.Retention = ret

	c.RiskWindowDays, err = ParseWindows(get("RISK_WINDOWS", "30,90"))
	if err != nil {
		errs = append(errs, fmt.Errorf("RISK_WINDOWS: %w", err))
	}

	pathStyle := get("S3_FORCE_PATH_STYLE", strconv.FormatBool(c.Stack == StackLocal))
	if c.S3ForcePathStyle, err = strconv.ParseBool(pathStyle); err != nil {
		errs = append(errs, fmt.Errorf("S3_FORCE_PATH_STYLE=%q: want true or false", pathStyle))
	}

	c.ESign = ESign{
		Provider:               strings.ToLower(get("ESIGN_PROVIDER", ESignSandbox)),
		WebhookPublicURL:       strings.TrimRight(get("WEBHOOK_PUBLIC_URL", ""), "/"),
		DocuSignAuthURL:        strings.TrimRight(get("DOCUSIGN_AUTH_URL", "https://account.docusign.com"), "/"),
		DocuSignIntegrationKey: get("DOCUSIGN_INTEGRATION_KEY", ""),
		DocuSignUserID:         get("DOCUSIGN_USER_ID", ""),
		DocuSignPrivateKeyFile: get("DOCUSIGN_PRIVATE_KEY_FILE", ""),
		DocuSignAccountID:      get("DOCUSIGN_ACCOUNT_ID", ""),
		DropboxSignAPIURL:      strings.TrimRight(get("DROPBOXSIGN_API_URL", "https://api.hellosign.com/v3"), "/"),
	}
	if c.ESign.DropboxSignAPIKey, err = secret(getenv, "DROPBOXSIGN_API_KEY"); err != nil {
		errs = append(errs, err)
	}
	if c.DatabaseURL, err = databaseURL(getenv); err != nil {
		errs = append(errs, err)
		c.DatabaseURL = "postgres://" // reported above, not again by validate
	}
	c.Receiver = Receiver{
		ReadTimeout:   durVar("RECEIVER_READ_TIMEOUT", 10*time.Second),
		WriteTimeout:  durVar("RECEIVER_WRITE_TIMEOUT", 20*time.Second),
		IdleTimeout:   durVar("RECEIVER_IDLE_TIMEOUT", 75*time.Second),
		MaxInflight:   intVar("RECEIVER_MAX_INFLIGHT_PER_PROVIDER", 1024),
		MaxUnverified: intVar("RECEIVER_MAX_UNVERIFIED_PER_PROVIDER", 512),
	}
	c.Stuck = Stuck{
		DraftPackAfter:    durVar("STUCK_PACK_AFTER", 15*time.Minute),
		UnsignedPackAfter: durVar("UNSIGNED_PACK_AFTER", 14*24*time.Hour),
		EnvelopeAfter:     durVar("ENVELOPE_EXPIRES_AFTER", 120*24*time.Hour),
	}
	c.Keep = Keep{
		Inbox:         durVar("RETAIN_INBOX", 30*24*time.Hour),
		Failures:      durVar("RETAIN_FAILURES", 30*24*time.Hour),
		WebhookEvents: durVar("RETAIN_WEBHOOK_EVENTS", 90*24*time.Hour),
		OpsActions:    durVar("RETAIN_OPS_ACTIONS", 400*24*time.Hour),
	}
	c.Identity = IdentityAPIs{
		PersonaAPIURL: strings.TrimRight(get("PERSONA_API_URL", "https://withpersona.com"), "/"),
		StripeAPIURL:  strings.TrimRight(get("STRIPE_API_URL", "https://api.stripe.com"), "/"),
		CheckrAPIURL:  strings.TrimRight(get("CHECKR_API_URL", "https://api.checkr.com"), "/"),
	}
	for name, dst := range map[string]*string{"PERSONA_API_KEY": &c.Identity.PersonaAPIKey, "STRIPE_API_KEY": &c.Identity.StripeAPIKey,
		"CHECKR_API_KEY": &c.Identity.CheckrAPIKey} {
		if *dst, err = secret(getenv, name); err != nil {
			errs = append(errs, err)
		}
	}
	testMode := get("DROPBOXSIGN_TEST_MODE", "false")
	if c.ESign.DropboxSignTestMode, err = strconv.ParseBool(testMode); err != nil {
		errs = append(errs, fmt.Errorf("DROPBOXSIGN_TEST_MODE=%q: want true or false", testMode))
	}

	for _, p := range Providers {
		name := "WEBHOOK_SECRET_" + strings.ToUpper(p)
		raw, err := secret(getenv, name)
		if err != nil {
			errs = append(errs, err)
		}
		if raw == "" && p == ESignDropboxSign {
			raw = c.ESign.DropboxSignAPIKey // Dropbox Sign signs its callbacks with the API key
		}
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.WebhookSecrets[p] = append(c.WebhookSecrets[p], s)
			}
		}
	}

	if err := c.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, joinOneLine(errs)
	}
	return c, nil
}

func (c Config) validate() error {
	var errs []error
	if c.Stack != StackLocal && c.Stack != StackAWS {
		errs = append(errs, fmt.Errorf("TRUSTDOCS_STACK=%q: want %s or %s", c.Stack, StackLocal, StackAWS))
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		errs = append(errs, errors.New("DATABASE_URL: want a postgres:// URL"))
	}
	if c.RiverFetchCooldown < time.Millisecond || c.RiverFetchCooldown > time.Second {
		errs = append(errs, fmt.Errorf("RIVER_FETCH_COOLDOWN=%s: want 1ms to 1s", c.RiverFetchCooldown))
	}
	if c.RiverRescueAfter < c.RiverJobTimeout {
		errs = append(errs, fmt.Errorf("RIVER_RESCUE_AFTER=%s: must be at least RIVER_JOB_TIMEOUT=%s", c.RiverRescueAfter, c.RiverJobTimeout))
	}
	if c.Receiver.WriteTimeout <= c.Receiver.ReadTimeout {
		errs = append(errs, fmt.Errorf("RECEIVER_WRITE_TIMEOUT=%s: must exceed RECEIVER_READ_TIMEOUT=%s (the write deadline runs while the body is read)", c.Receiver.WriteTimeout, c.Receiver.ReadTimeout))
	}
	if c.RetentionMode != "COMPLIANCE" && c.RetentionMode != "GOVERNANCE" {
		errs = append(errs, fmt.Errorf("DOCS_RETENTION_MODE=%q: want COMPLIANCE or GOVERNANCE", c.RetentionMode))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.ESign.Provider {
	case ESignSandbox, ESignDocuSign, ESignDropboxSign:
	default:
		errs = append(errs, fmt.Errorf("ESIGN_PROVIDER=%q: want %s, %s or %s", c.ESign.Provider, ESignSandbox, ESignDocuSign, ESignDropboxSign))
	}
	if u := c.ESign.WebhookPublicURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("WEBHOOK_PUBLIC_URL=%q: want the receiver's base URL, like https://hooks.example.com", u))
		}
	}
	if strings.Trim(c.DocsEnv, "/") != c.DocsEnv || c.DocsEnv == "" {
		errs = append(errs, fmt.Errorf("DOCS_ENV=%q: want a prefix without slashes at either end", c.DocsEnv))
	}
	return errors.Join(errs...)
}

// ParseDuration reads a duration as time.ParseDuration does, and also in whole days
// ("14d").
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want a number of days like 14d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// FormatDuration writes a duration of whole days as "14d", others as time.Duration does.
func FormatDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// secret reads a secret from NAME, or from the file NAME_FILE names (surrounding
// whitespace dropped); setting both is an error.
func secret(getenv func(string) string, name string) (string, error) {
	v, file := strings.TrimSpace(getenv(name)), strings.TrimSpace(getenv(name+"_FILE"))
	switch {
	case file == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("%s and %s_FILE are both set: set one", name, name)
	}
	return secretFile(name+"_FILE", file)
}

// secretFile reads a mounted secret. Its errors name the variable and the path, never
// the content; an empty file is refused, since pointing at a file means there is a value
// (a secret mounted before it was written would otherwise start a service without it).
func secretFile(variable, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once, below
		}
		return "", fmt.Errorf("%s=%s: cannot read it: %w", variable, path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s=%s: the file is empty", variable, path)
	}
	return v, nil
}

// databaseURL is DATABASE_URL (or DATABASE_URL_FILE) with the password of
// DATABASE_PASSWORD_FILE set into it. Both ways exist because secrets come in both
// shapes: a whole connection string kept as one secret, or a password rotated on its own
// (a managed database's rotated secret, mounted as a file) while the host, user and
// database stay plain configuration. Errors never quote the URL: it may hold a password.
func databaseURL(getenv func(string) string) (string, error) {
	raw, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		return "", err
	}
	if raw == "" {
		raw = "postgres://postgres@127.0.0.1:5432/trustdocs?sslmode=disable"
	}
	file := strings.TrimSpace(getenv("DATABASE_PASSWORD_FILE"))
	if file == "" {
		return raw, nil
	}
	pw, err := secretFile("DATABASE_PASSWORD_FILE", file)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("DATABASE_PASSWORD_FILE: DATABASE_URL must be a postgres:// URL to take the password")
	}
	if u.User == nil || u.User.Username() == "" {
		return "", errors.New("DATABASE_PASSWORD_FILE: DATABASE_URL names no user to set the password for")
	}
	if _, has := u.User.Password(); has {
		return "", errors.New("DATABASE_PASSWORD_FILE: DATABASE_URL already has a password: set it in one place")
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String(), nil
}

// ParseWindows reads window lengths in days ("30,90"), returned shortest first without
// repeats.
func ParseWindows(s string) ([]int, error) {
	var days []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || n > 3660 {
			return nil, fmt.Errorf("%q: want day counts between 1 and 3660, like 30,90", s)
		}
		if !slices.Contains(days, n) {
			days = append(days, n)
		}
	}
	slices.Sort(days)
	return days, nil
}

// DLQ returns the dead-letter queue name of a queue.
func (c Config) DLQ(queue string) string { return queue + c.DLQSuffix }

// Queues returns the source queue names the worker consumes.
func (c Config) Queues() []string { return []string{c.CheckoutQueue, c.RiskQueue, c.WebhookQueue} }

// Topics returns the SNS topic names bootstrap creates.
func (c Config) Topics() []string { return []string{c.BookingTopic, c.RiskTopic, c.PipelineTopic} }

// Secrets returns the provider names that have at least one webhook secret, sorted.
func (c Config) Secrets() []string {
	var names []string
	for p := range c.WebhookSecrets {
		names = append(names, p)
	}
	sort.Strings(names)
	return names
}

// joinOneLine joins errors with "; " so a bad configuration prints as one line.
func joinOneLine(errs []error) error {
	var parts []string
	for _, e := range errs {
		parts = append(parts, strings.ReplaceAll(e.Error(), "\n", "; "))
	}
	return errors.New(strings.Join(parts, "; "))
}
