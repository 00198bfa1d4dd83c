// Package testkit sets up tests against the real local stack: a fresh PostgreSQL
// database per test, and AWS resources (queues, topics, bucket, table) with names no
// other test uses. A service that does not answer fails the test at once with the
// command that starts it; nothing is skipped, except under -short (`make unit`), where
// every test that reaches the stack through Config, DB or AWS skips before it connects.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"trustdocs/bootstrap"
	"trustdocs/config"
	"trustdocs/infra"
	"trustdocs/store"
)

const startHint = "start the local stack with `make up` (or run `make test`, which does)"

// skipShort skips a test that needs the local stack when tests run with -short. That is
// how `make unit` (go test -short ./...) runs every test that needs no stack without a
// hand-kept list of packages. Without -short (make test) nothing is skipped.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the local stack (PostgreSQL, MinIO, fauxqs, DynamoDB Local): run make test; skipped under -short (make unit)")
	}
}

// Suffix returns a short random name part, lowercase so S3 accepts it.
func Suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Config returns the configuration from the environment with every AWS resource name
// made unique to this test, a short retention for its bucket, and a low maxReceiveCount
// so redrive tests are quick.
func Config(t testing.TB) config.Config {
	t.Helper()
	skipShort(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	s := "-t" + Suffix()
	cfg.CheckoutQueue += s
	cfg.RiskQueue += s
	cfg.WebhookQueue += s
	cfg.BookingTopic += s
	cfg.RiskTopic += s
	cfg.PipelineTopic += s
	cfg.DocsBucket += s
	cfg.TrustCacheTable += s
	cfg.Retention = config.Retention{Days: 1}
	cfg.MaxReceiveCount = 2
	// A receive response lost on the way (the SDK retries) leaves its messages
	// invisible for the visibility timeout; a short one keeps that to seconds in tests.
	cfg.VisibilityTimeout = 10 * time.Second
	return cfg
}

// DB creates an empty database for the test, migrates it, points cfg at it and drops
// it when the test ends.
func DB(t testing.TB, cfg *config.Config) *pgxpool.Pool {
	t.Helper()
	skipShort(t)
	ctx := context.Background()
	name := "td_test_" + Suffix()

	admin := connectAdmin(t, cfg.DatabaseURL)
	if _, err := admin.Exec(ctx, "create database "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	_ = admin.Close(ctx)

	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	pc.ConnConfig.Database = name
	cfg.DatabaseURL = replaceDB(cfg.DatabaseURL, name)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		pool.Close()
		a := connectAdmin(t, cfg.DatabaseURL)
		defer a.Close(context.Background())
		if _, err := a.Exec(context.Background(), "drop database if exists "+name+" with (force)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	if _, err := store.Migrate(ctx, pool); err != nil {
		t.Fatalf("migrate %s: %v", name, err)
	}
	return pool
}

// connectAdmin connects to the server's maintenance database to create and drop test
// databases.
func connectAdmin(t testing.TB, databaseURL string) *pgx.Conn {
	t.Helper()
	cc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	cc.Database = "postgres"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatalf("PostgreSQL at %s:%d does not answer (%s): %s", cc.Host, cc.Port, infra.Reason(err), startHint)
	}
	return conn
}

// replaceDB swaps the database name in a postgres URL, keeping its other parts.
func replaceDB(u, name string) string {
	rest := ""
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, rest = u[:i], u[i:]
	}
	if i := strings.LastIndexByte(u, '/'); i > len("postgres://") {
		u = u[:i]
	}
	return u + "/" + name + rest
}

// AWS returns the SDK clients after checking that each local service answers.
func AWS(t testing.TB, cfg config.Config) *infra.AWS {
	t.Helper()
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clients, err := infra.NewAWS(ctx, cfg, zerolog.Nop())
	if err != nil {
		t.Fatalf("aws clients: %v", err)
	}
	probes := []struct {
		service string
		call    func() error
	}{
		{"SQS", func() error { _, err := clients.SQS.ListQueues(ctx, nil); return err }},
		{"SNS", func() error { _, err := clients.SNS.ListTopics(ctx, nil); return err }},
		{"S3", func() error { _, err := clients.S3.ListBuckets(ctx, nil); return err }},
		{"DYNAMODB", func() error { _, err := clients.DynamoDB.ListTables(ctx, nil); return err }},
	}
	for _, p := range probes {
		if err := p.call(); err != nil {
			t.Fatalf("%s at %s does not answer (%s): %s", p.service, infra.Endpoint(cfg, p.service), infra.Reason(err), startHint)
		}
	}
	return clients
}

// Bootstrap provisions the test's resources and returns what was made.
func Bootstrap(t testing.TB, cfg config.Config, clients *infra.AWS) *bootstrap.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := bootstrap.Run(ctx, cfg, clients, nil)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return rep
}

// Env returns os.Environ with cfg's names and database applied, for starting the real
// binaries in tests.
func Env(cfg config.Config, extra ...string) []string {
	env := os.Environ()
	env = append(env,
		"DATABASE_URL="+cfg.DatabaseURL,
		"CHECKOUT_QUEUE="+cfg.CheckoutQueue,
		"RISK_QUEUE="+cfg.RiskQueue,
		"WEBHOOK_QUEUE="+cfg.WebhookQueue,
		"BOOKING_TOPIC="+cfg.BookingTopic,
		"RISK_TOPIC="+cfg.RiskTopic,
		"PIPELINE_TOPIC="+cfg.PipelineTopic,
		"DOCS_BUCKET="+cfg.DocsBucket,
		"TRUST_CACHE_TABLE="+cfg.TrustCacheTable,
		fmt.Sprintf("QUEUE_MAX_RECEIVE_COUNT=%d", cfg.MaxReceiveCount),
		"DOCS_RETENTION="+cfg.Retention.String(),
		"QUEUE_VISIBILITY_TIMEOUT="+cfg.VisibilityTimeout.String(),
	)
	return append(env, extra...)
}
