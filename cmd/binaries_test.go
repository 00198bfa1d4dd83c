// Package cmd_test runs the real binaries the way an operator would: bad configuration
// must give one line naming the problem and a non-zero exit, --help must work, and the
// services must serve their endpoints and stop cleanly on SIGTERM.
package cmd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"trustdocs/bootstrap"
	"trustdocs/config"
	"trustdocs/infra"
	"trustdocs/testkit"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trustdocs-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./worker", "./receiver", "./pipelinectl")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code   int
	stdout string
	stderr string
}

func runBin(t testing.TB, env []string, name string, args ...string) result {
	t.Helper()
	return runBinIn(t, env, "", name, args...)
}

// runBinIn runs a binary with stdin.
func runBinIn(t testing.TB, env []string, stdin, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.Env = strings.NewReader(stdin), &out, &errb, env
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return result{code, out.String(), errb.String()}
}

// requireOneLineError checks the shape of a configuration failure.
func requireOneLineError(t *testing.T, r result, wants ...string) {
	t.Helper()
	require.NotEqual(t, 0, r.code, "exit code")
	line := strings.TrimRight(r.stderr, "\n")
	require.NotContains(t, line, "\n", "one line, got:\n%s", r.stderr)
	require.NotContains(t, line, "panic")
	require.NotContains(t, line, "goroutine")
	for _, w := range wants {
		require.Contains(t, line, w)
	}
}

// ready provisions a database and AWS resources so only the setting under test is bad.
func ready(t *testing.T) config.Config { return provision(t, nil).cfg }

// stack is a provisioned test environment for the binaries: its own database, AWS
// resources, and a pool on the database for reading back effects.
type stack struct {
	cfg     config.Config
	clients *infra.AWS
	rep     *bootstrap.Report
	pool    *pgxpool.Pool
}

// provision creates the environment; adjust may change the configuration first.
func provision(t testing.TB, adjust func(*config.Config)) *stack {
	t.Helper()
	cfg := testkit.Config(t)
	if adjust != nil {
		adjust(&cfg)
	}
	testkit.DB(t, &cfg)
	clients := testkit.AWS(t, cfg)
	rep := testkit.Bootstrap(t, cfg, clients)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &stack{cfg: cfg, clients: clients, rep: rep, pool: pool}
}

// count runs a query returning one integer.
func (s *stack) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, s.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// text runs a query returning one text value.
func (s *stack) text(t *testing.T, sql string) string {
	t.Helper()
	var v string
	require.NoError(t, s.pool.QueryRow(context.Background(), sql).Scan(&v))
	return v
}

func TestBadConfigurationGivesOneLineError(t *testing.T) {
	t.Parallel()
	cfg := ready(t)

	t.Run("unreachable database", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "DATABASE_URL=postgres://postgres@127.0.0.1:1/trustdocs?sslmode=disable"), "worker")
		requireOneLineError(t, r, "worker: database 127.0.0.1:1/trustdocs unreachable", "connection refused")
	})
	t.Run("database without schema", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "worker")
		requireOneLineError(t, r, "has no schema", "pipelinectl migrate")
	})
	t.Run("missing bucket", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "DOCS_BUCKET=no-such-bucket-"+testkit.Suffix()), "worker")
		requireOneLineError(t, r, "S3 bucket \"no-such-bucket-", "not found", "pipelinectl bootstrap")
	})
	t.Run("missing queue", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "WEBHOOK_QUEUE=no-such-queue"), "receiver")
		requireOneLineError(t, r, "receiver: SQS queue \"no-such-queue\" not found", "pipelinectl bootstrap")
	})
	t.Run("wrong endpoint", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "AWS_ENDPOINT_URL_SQS=http://127.0.0.1:1"), "receiver")
		requireOneLineError(t, r, "SQS at http://127.0.0.1:1", "connection refused")
	})
	t.Run("unknown host", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "AWS_ENDPOINT_URL_DYNAMODB=http://no-such-host.invalid:8000"), "worker")
		requireOneLineError(t, r, "DynamoDB at http://no-such-host.invalid:8000", "unknown host")
	})
	t.Run("invalid values", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "QUEUE_MAX_RECEIVE_COUNT=lots", "TRUSTDOCS_STACK=moon"), "pipelinectl", "bootstrap")
		requireOneLineError(t, r, "QUEUE_MAX_RECEIVE_COUNT=\"lots\"", "TRUSTDOCS_STACK=\"moon\"")
	})
	t.Run("half-configured e-sign provider", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "ESIGN_PROVIDER=docusign", "DOCUSIGN_INTEGRATION_KEY=ik"), "worker")
		requireOneLineError(t, r, "ESIGN_PROVIDER=docusign needs WEBHOOK_PUBLIC_URL, DOCUSIGN_USER_ID, DOCUSIGN_PRIVATE_KEY_FILE, DOCUSIGN_ACCOUNT_ID")
		r = runBin(t, testkit.Env(cfg, "ESIGN_PROVIDER=dropboxsign"), "worker")
		requireOneLineError(t, r, "ESIGN_PROVIDER=dropboxsign needs DROPBOXSIGN_API_KEY")
	})
	t.Run("migrate against unreachable database", func(t *testing.T) {
		r := runBin(t, testkit.Env(cfg, "DATABASE_URL=postgres://postgres@127.0.0.1:1/x"), "pipelinectl", "migrate")
		requireOneLineError(t, r, "pipelinectl: database unreachable", "connection refused")
	})
	t.Run("address in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		r := runBin(t, testkit.Env(cfg, "RECEIVER_ADDR="+ln.Addr().String()), "receiver")
		requireOneLineError(t, r, "RECEIVER_ADDR "+ln.Addr().String(), "address already in use")
	})
}

func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	for _, c := range [][]string{
		{"worker", "--help"}, {"receiver", "--help"}, {"pipelinectl", "--help"},
		{"pipelinectl", "migrate", "--help"}, {"pipelinectl", "bootstrap", "--help"}, {"pipelinectl", "check", "--help"},
		{"pipelinectl", "publish", "--help"}, {"pipelinectl", "content", "publish", "--help"},
		{"pipelinectl", "doc", "verify", "--help"}, {"pipelinectl", "doc", "legal-hold", "--help"},
		{"pipelinectl", "sandbox", "sign", "--help"}, {"pipelinectl", "cache", "reconcile", "--help"}, {"pipelinectl", "cache", "show", "--help"}, {"pipelinectl", "sandbox", "verify", "--help"},
		{"pipelinectl", "dlq", "--help"}, {"pipelinectl", "dlq", "list", "--help"}, {"pipelinectl", "dlq", "show", "--help"},
		{"pipelinectl", "dlq", "replay", "--help"}, {"pipelinectl", "dlq", "purge", "--help"},
		{"pipelinectl", "jobs", "list", "--help"}, {"pipelinectl", "jobs", "retry", "--help"}, {"pipelinectl", "trace", "--help"}, {"pipelinectl", "packs", "stuck", "--help"}, {"pipelinectl", "prune", "--help"},
	} {
		r := runBin(t, os.Environ(), c[0], c[1:]...)
		require.Equal(t, 0, r.code, "%v", c)
		require.Contains(t, strings.ToLower(r.stdout+r.stderr), "usage", "%v", c)
	}
}

func TestServicesServeHealthAndStopOnSIGTERM(t *testing.T) {
	t.Parallel()
	cfg := ready(t)

	for _, svc := range []struct{ name, addrVar string }{{"worker", "WORKER_ADDR"}, {"receiver", "RECEIVER_ADDR"}} {
		addr := freeAddr(t)
		cmd := exec.Command(filepath.Join(binDir, svc.name))
		var logs bytes.Buffer
		cmd.Env = testkit.Env(cfg, svc.addrVar+"="+addr)
		cmd.Stderr = &logs
		require.NoError(t, cmd.Start())

		base := "http://" + addr
		waitFor(t, base+"/healthz", &logs)
		code, body := call(t, base+"/readyz", "")
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, `"status":"ready"`)
		code, body = call(t, base+"/metrics", "")
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, `trustdocs_build_info{service="`+svc.name+`"`)

		if svc.name == "receiver" {
			code, _ = call(t, base+"/webhooks/unknownprovider", "{}")
			require.Equal(t, http.StatusNotFound, code)
		}

		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			require.NoError(t, err, "clean exit on SIGTERM; logs:\n%s", logs.String())
		case <-time.After(40 * time.Second): // the last long poll (10 s) plus in-flight work
			_ = cmd.Process.Kill()
			t.Fatalf("%s did not stop on SIGTERM; logs:\n%s", svc.name, logs.String())
		}
		require.Contains(t, logs.String(), `"message":"`+svc.name+` stopped"`)
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			require.True(t, strings.HasPrefix(line, "{"), "every log line is JSON: %s", line)
		}
		if svc.name == "worker" {
			require.Contains(t, logs.String(), `"message":"River client started"`, "River logs through zerolog")
		}
	}
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t testing.TB, url string, logs fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never answered; logs:\n%s", url, logs.String())
}

// call makes one request (a body means POST) and returns the code and body.
func call(t *testing.T, url, body string) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if body == "" {
		resp, err = http.Get(url)
	} else {
		resp, err = http.Post(url, "application/json", strings.NewReader(body))
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startBin runs a service binary (worker, receiver) until the test ends, SIGTERM then,
// and returns its log.
func startBin(t testing.TB, env []string, name string) *syncBuffer {
	t.Helper()
	return startService(t, env, name).logs
}

// service is a worker or receiver run by the test, for a test that also needs its
// process: to kill it, or to stop it so its last log lines are read too.
type service struct {
	cmd  *exec.Cmd
	logs *syncBuffer
}

// startService runs a service binary until the test ends (SIGTERM then, unless the
// test stopped or killed it first), its stdout and stderr in its log.
func startService(t testing.TB, env []string, name string) *service {
	t.Helper()
	s := &service{cmd: exec.Command(filepath.Join(binDir, name)), logs: &syncBuffer{}}
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, s.logs, s.logs
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() { s.stop() })
	return s
}

// stop sends SIGTERM and waits, unless the process was already waited for.
func (s *service) stop() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.cmd.Wait()
	}
}

// A worker whose WORKER_ADDR is taken stops before it works anything: it binds its
// address (and passes its checks) before it starts River and its consumers.
func TestWorkerBindsBeforeItWorks(t *testing.T) {
	t.Parallel()
	st := provision(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := runBin(t, testkit.Env(st.cfg, "WORKER_ADDR="+ln.Addr().String()), "worker")
	requireOneLineError(t, r, "WORKER_ADDR "+ln.Addr().String(), "address already in use")
	require.Equal(t, 0, st.count(t, `select count(*) from river_job where attempted_at is not null`),
		"no job was started (the periodic jobs run at start, so a River started first would have)")
}

// syncBuffer is testkit.SyncBuffer, by its short name in these tests.
type syncBuffer = testkit.SyncBuffer
