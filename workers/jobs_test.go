package workers

// The harness of the single-job tests (one <kind>_test.go per job kind): River's
// rivertest runs one job of a kind against PostgreSQL only, inside a transaction of the
// test that is rolled back when it ends. Jobs begin their own transactions through
// Deps.DB, which on the test's transaction are savepoints, so nothing a job writes
// outlives its test. The outside world (SNS, S3, the e-sign provider, DynamoDB) is
// replaced by the small fakes below.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"trustdocs/content"
	"trustdocs/docstore"
	"trustdocs/esign"
	"trustdocs/events"
	"trustdocs/jobmeta"
	"trustdocs/store"
	"trustdocs/testkit"
	"trustdocs/trust"
)

// jobDB returns a fresh migrated database for one top-level test; its subtests share it,
// each in a transaction of its own that is rolled back, so they run in parallel. Under
// -short it skips (testkit).
func jobDB(t *testing.T) *store.Pool {
	t.Helper()
	cfg := testkit.Config(t)
	return testkit.DB(t, &cfg)
}

// jobDBWithContent is jobDB with the shipped content library published (committed): the
// templates and clauses every doc-pack test plans and renders from.
func jobDBWithContent(t *testing.T) *store.Pool {
	t.Helper()
	db := jobDB(t)
	lib, err := content.Load(content.FS)
	require.NoError(t, err)
	require.NoError(t, store.InTx(context.Background(), db, func(tx store.Tx) error {
		_, err := store.PublishContentTx(context.Background(), tx, lib, "test")
		return err
	}))
	return db
}

// testNow is the clock of the single-job tests (Deps.Now).
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// jobTest is one single-job test: its transaction, the Deps its jobs get, and the fakes
// behind them.
type jobTest struct {
	ctx   context.Context
	tx    store.Tx
	deps  *Deps
	sns   *fakeSNS
	docs  *fakeDocs
	esign *fakeESign
	cache *fakeCache
	name  string // the test's name, which id makes unique ids of
}

// setup begins the test's transaction on db (rolled back when the test ends) and builds
// Deps on it with fresh fakes.
func setup(t *testing.T, db *store.Pool) *jobTest {
	t.Helper()
	// A bound on every wait: parallel tests must not wait on each other's locks, and a
	// test that does fails instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tx.Rollback(context.Background())) })

	windows := []int{30, 90}
	b := &jobTest{ctx: ctx, tx: tx, sns: &fakeSNS{}, docs: &fakeDocs{objects: map[string][]byte{}}, esign: &fakeESign{},
		cache: &fakeCache{windowDays: windows, versions: map[string]int64{}}, name: t.Name()}
	b.deps = &Deps{DB: tx, SNS: b.sns, PipelineTopicARN: testTopicARN, Docs: b.docs, ESign: b.esign, Log: zerolog.Nop(),
		Cache: b.cache, RiskWindowDays: windows, Now: func() time.Time { return testNow }}
	return b
}

const testTopicARN = "arn:aws:sns:us-east-1:000000000000:pipeline-events-test"

// id returns prefix made unique to the test, so parallel tests sharing a database never
// touch (and wait on) each other's rows.
func (b *jobTest) id(prefix string) string { return prefix + "_" + shortHash(b.name)[:10] }

// work inserts one job with args in the test's transaction, through a River client that
// has jobmeta's hook as production's has, and works it with w.
func work[T river.JobArgs](t *testing.T, b *jobTest, w river.Worker[T], args T) (*rivertest.WorkResult, error) {
	t.Helper()
	tw := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{Hooks: jobmeta.Hooks()}, w)
	return tw.Work(b.ctx, t, b.tx, args, nil)
}

// mustComplete works a job that must complete (the steps that set a test up).
func mustComplete[T river.JobArgs](t *testing.T, b *jobTest, w river.Worker[T], args T) {
	t.Helper()
	res, err := work(t, b, w, args)
	require.NoError(t, err)
	require.Equal(t, river.EventKindJobCompleted, res.EventKind)
}

// insertedJob is a job a worked job inserted.
type insertedJob struct {
	Kind  string
	Args  json.RawMessage
	Meta  jobmeta.Meta
	Queue string
}

// inserted returns the jobs the worked job inserted (those after it in the test's
// transaction), in order, and requires each to carry in its metadata the ids it
// concerns, as jobmeta's hook writes them: a job without them is invisible to the trace.
func (b *jobTest) inserted(t *testing.T, res *rivertest.WorkResult) []insertedJob {
	t.Helper()
	rows, err := b.tx.Query(b.ctx, `select kind, args, metadata, metadata <> '{}'::jsonb, queue
		from river_job where id > $1 order by id`, res.Job.ID)
	require.NoError(t, err)
	defer rows.Close()
	var out []insertedJob
	for rows.Next() {
		var j insertedJob
		var meta []byte
		var hasMeta bool
		require.NoError(t, rows.Scan(&j.Kind, &j.Args, &meta, &hasMeta, &j.Queue))
		require.True(t, hasMeta, "%s job %s inserted without metadata", j.Kind, j.Args)
		j.Meta = jobmeta.Of(meta)
		require.False(t, j.Meta.Empty(), "%s job %s: metadata %s names no id", j.Kind, j.Args, meta)
		out = append(out, j)
	}
	require.NoError(t, rows.Err())
	return out
}

func kinds(jobs []insertedJob) []string {
	out := make([]string, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.Kind)
	}
	return out
}

// argsOf decodes an inserted job's args.
func argsOf[T any](t *testing.T, j insertedJob) T {
	t.Helper()
	var a T
	require.NoError(t, json.Unmarshal(j.Args, &a))
	return a
}

// forgetJobs deletes the jobs in the transaction so far: the jobs a test's set-up steps
// ran and inserted are not what the test asserts on.
func (b *jobTest) forgetJobs(t *testing.T) {
	t.Helper()
	_, err := b.tx.Exec(b.ctx, `delete from river_job`)
	require.NoError(t, err)
}

// column runs a query of one text column in the test's transaction and returns its rows.
func column(t *testing.T, b *jobTest, sql string, args ...any) []string {
	t.Helper()
	rows, err := b.tx.Query(b.ctx, sql, args...)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

// scalar runs a query of one row and one column in the test's transaction.
func scalar[T any](t *testing.T, b *jobTest, sql string, args ...any) T {
	t.Helper()
	var v T
	require.NoError(t, b.tx.QueryRow(b.ctx, sql, args...).Scan(&v))
	return v
}

// withData rewrites an event's data, decoded as T, with change.
func withData[T any](t *testing.T, env *events.Envelope, change func(*T)) {
	t.Helper()
	d, err := events.DataAs[T](*env)
	require.NoError(t, err)
	change(&d)
	env.Data, err = json.Marshal(d)
	require.NoError(t, err)
}

// fakeSNS records what is published.
type fakeSNS struct {
	published []*sns.PublishInput
	err       error // returned by every Publish when set
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.published = append(f.published, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprint("msg_", len(f.published)))}, nil
}

// fakeDocs is a write-once document store in memory: the same bytes again are
// accepted (a retried job), other bytes at a written key are refused, as docstore.Store
// does with S3's If-None-Match.
type fakeDocs struct {
	mu       sync.Mutex // a build job stores its pack's documents at once
	objects  map[string][]byte
	puts     int // objects written (not counting accepted repeats)
	failPuts int // this many next puts fail, as S3 down would
}

func (d *fakeDocs) Keys(packID, docID string, version int) docstore.Keys {
	return docstore.KeysFor("test", packID, docID, version)
}

func (d *fakeDocs) URI(key string) string { return "s3://docs-test/" + key }

func (d *fakeDocs) PutOnce(_ context.Context, key, _ string, body []byte) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failPuts > 0 {
		d.failPuts--
		return "", fmt.Errorf("put %s: %w", d.URI(key), errS3Down)
	}
	sum := sha256.Sum256(body)
	if old, ok := d.objects[key]; ok {
		if !bytes.Equal(old, body) {
			return "", fmt.Errorf("%s: %w", d.URI(key), docstore.ErrObjectConflict)
		}
	} else {
		d.objects[key] = bytes.Clone(body)
		d.puts++
	}
	return hex.EncodeToString(sum[:]), nil
}

var errS3Down = errors.New("S3 unavailable")

func (d *fakeDocs) Get(_ context.Context, key string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.objects[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", d.URI(key), docstore.ErrNoObject)
	}
	return bytes.Clone(b), nil
}

// fakeESign is the sandbox provider (envelope ids derive from the document) that records
// its calls and can fail them.
type fakeESign struct {
	esign.Sandbox
	name     string // "" : sandbox; a real provider's name makes the flow keep executed copies
	executed esign.Executed
	notReady int // Executed answers ErrNotReady this many times first
	sent     []esign.Envelope
	voided   []string // envelope ids
	sendErr  error
	voidErr  error
	onSend   func() // runs while the envelope is being created (a concurrent change)
}

func (f *fakeESign) Send(ctx context.Context, e esign.Envelope) (esign.Sent, error) {
	if f.sendErr != nil {
		return esign.Sent{}, f.sendErr
	}
	f.sent = append(f.sent, e)
	if f.onSend != nil {
		f.onSend()
	}
	return f.Sandbox.Send(ctx, e)
}

func (f *fakeESign) Name() string {
	if f.name != "" {
		return f.name
	}
	return f.Sandbox.Name()
}

func (f *fakeESign) Executed(context.Context, string) (esign.Executed, error) {
	if f.notReady > 0 {
		f.notReady--
		return esign.Executed{}, esign.ErrNotReady
	}
	return f.executed, nil
}

func (f *fakeESign) Void(_ context.Context, envelopeID, _ string) error {
	if f.voidErr != nil {
		return f.voidErr
	}
	f.voided = append(f.voided, envelopeID)
	return nil
}

// fakeCache is the trust cache table in memory, written from the real trust state in
// PostgreSQL (store.LoadTrustState, trust.Item) as trustcache.Writer does, refusing an
// item whose version is not newer than the stored one (DynamoDB's conditional put).
type fakeCache struct {
	windowDays []int
	versions   map[string]int64 // stored version per user
	written    []trust.CacheItem
	calls      int
	// afterRead, when set, runs after the item is built and before it is written: a
	// change committing meanwhile.
	afterRead func(ctx context.Context, db store.DB, userID string) error
	err       error // returned by every Write when set (the table does not answer)
}

func (c *fakeCache) Write(ctx context.Context, db store.DB, userID string, now time.Time) (trust.CacheItem, bool, error) {
	c.calls++
	if c.err != nil {
		return trust.CacheItem{}, false, c.err
	}
	state, err := store.LoadTrustState(ctx, db, userID, c.windowDays, now)
	if err != nil {
		return trust.CacheItem{}, false, err
	}
	item := trust.Item(state, now)
	if c.afterRead != nil {
		if err := c.afterRead(ctx, db, userID); err != nil {
			return item, false, err
		}
	}
	if v, ok := c.versions[userID]; ok && item.Version <= v {
		return item, false, nil
	}
	c.versions[userID] = item.Version
	c.written = append(c.written, item)
	return item, true, nil
}
