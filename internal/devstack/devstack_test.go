package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stack is one private instance of the script's world: its own cache (run/ state, lock,
// logs), ports and PostgreSQL stubs.
type stack struct {
	t      *testing.T
	cache  string // TRUSTDOCS_CACHE of the script, unique to the test
	state  string // cache/run
	pgDir  string // the stub PostgreSQL's state: "up" exists while it "runs"
	minio  int
	fauxqs int
	ddb    int
	extra  []string // more environment, e.g. TRUSTDOCS_BUSY_WAIT
}

// script is the devstack.sh under test: the repository's, or DEVSTACK_SCRIPT (to run these
// tests against another version of it, e.g. the one before a fix).
func script(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DEVSTACK_SCRIPT")
	if p == "" {
		p = "../../scripts/devstack.sh"
	}
	p, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func needLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc (Linux)")
	}
}

// sharedCache is the cache that `make up` installs into.
func sharedCache() string {
	if c := os.Getenv("TRUSTDOCS_CACHE"); c != "" {
		return c
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "trustdocs")
}

// needInstalls skips a test that runs `up` unless the shared installs are there (it links
// to them rather than build MinIO again) and the stack may be used at all.
func needInstalls(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starts services")
	}
	c := sharedCache()
	for _, f := range []string{"bin/minio", "npm/node_modules/fauxqs/dist/app.js", "npm/dynamodb/emulator/DynamoDBLocal.jar"} {
		if _, err := os.Stat(filepath.Join(c, f)); err != nil {
			t.Skipf("%s is not installed: run `make up` first (%v)", f, err)
		}
	}
	if _, err := os.Stat("/etc/postgresql"); err != nil {
		t.Skip("devstack.sh starts PostgreSQL only where /etc/postgresql exists")
	}
}

func newStack(t *testing.T) *stack {
	t.Helper()
	needLinux(t)
	dir := t.TempDir()
	s := &stack{t: t, cache: filepath.Join(dir, "cache"), pgDir: filepath.Join(dir, "pg")}
	s.state = filepath.Join(s.cache, "run")
	for _, d := range []string{s.state, s.pgDir, filepath.Join(dir, "stubs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"bin", "npm"} {
		if err := os.Symlink(filepath.Join(sharedCache(), d), filepath.Join(s.cache, d)); err != nil {
			t.Fatal(err)
		}
	}
	// The stub PostgreSQL: pg_ctlcluster starts a daemon (a sleep) in its own session that
	// keeps every descriptor but stdio, as the real server does.
	stubs := map[string]string{
		"pg_isready": fmt.Sprintf("[ -f %q ]\n", filepath.Join(s.pgDir, "up")),
		"pg_ctlcluster": fmt.Sprintf("setsid sleep 600 </dev/null >/dev/null 2>&1 &\necho $! >%q\ntouch %q\n",
			filepath.Join(s.pgDir, "postgres.pid"), filepath.Join(s.pgDir, "up")),
		"psql":     "echo 1\n",
		"createdb": "exit 0\n",
	}
	for name, body := range stubs {
		if err := os.WriteFile(filepath.Join(dir, "stubs", name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.minio, s.fauxqs, s.ddb = freePorts(t)
	// Whatever the test leaves, stop every process started with its environment (they
	// alone carry its TRUSTDOCS_CACHE), after a `down` of its own state.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _, _ = s.run(ctx, "down")
		for _, pid := range s.started() {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for i := 0; i < 100 && len(s.started()) > 0; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	return s
}

// freePorts returns three ports that nothing listens on, the first also with its
// successor free (MinIO's console).
func freePorts(t *testing.T) (minio, fauxqs, ddb int) {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	take := func() int {
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		return l.Addr().(*net.TCPAddr).Port
	}
	for minio == 0 {
		p := take()
		if l, err := net.Listen("tcp", ":"+strconv.Itoa(p+1)); err == nil {
			ls = append(ls, l)
			minio = p
		}
	}
	return minio, take(), take()
}

func (s *stack) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRUSTDOCS_") && !strings.HasPrefix(kv, "DEVSTACK_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return append(append(env,
		"PATH="+filepath.Join(filepath.Dir(s.cache), "stubs")+":"+os.Getenv("PATH"),
		"TRUSTDOCS_CACHE="+s.cache,
		"TRUSTDOCS_STACK_DRIVER=native",
		"TRUSTDOCS_PG_HOST=127.0.0.1",
		"TRUSTDOCS_PG_PORT=1", // the stubs answer for it
		"TRUSTDOCS_MINIO_PORT="+strconv.Itoa(s.minio),
		"TRUSTDOCS_FAUXQS_PORT="+strconv.Itoa(s.fauxqs),
		"TRUSTDOCS_DYNAMODB_PORT="+strconv.Itoa(s.ddb),
	), s.extra...)
}

// run runs devstack.sh with args in the test's world and returns its stdout and stderr.
func (s *stack) run(ctx context.Context, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{script(s.t)}, args...)...)
	cmd.Env = s.env()
	cmd.Dir = filepath.Dir(s.cache)
	// A child that keeps stdout or stderr open must not keep the test waiting once the
	// script is gone (or was killed at the deadline).
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after its deadline: %w", ctx.Err())
	}
	return out.String(), errb.String(), err
}

// mustRun runs the script and fails the test if it fails or takes longer than limit.
func (s *stack) mustRun(limit time.Duration, args ...string) (stderr string, took time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	_, stderr, err := s.run(ctx, args...)
	took = time.Since(start)
	s.t.Logf("devstack.sh %s (%v):\n%s", strings.Join(args, " "), took.Round(time.Millisecond), stderr)
	if err != nil {
		s.t.Fatalf("devstack.sh %s: %v", strings.Join(args, " "), err)
	}
	return stderr, took
}

// started lists the live processes started with this test's environment.
func (s *stack) started() []int {
	mark := []byte("TRUSTDOCS_CACHE=" + s.cache + "\x00")
	var pids []int
	for _, pid := range allPids() {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err == nil && (bytes.HasPrefix(env, mark) || bytes.Contains(env, append([]byte{0}, mark...))) {
			if !zombie(pid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func allPids() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// lockHolders lists "pid command" of every process with a descriptor open on path.
func lockHolders(path string) []string {
	var out []string
	for _, pid := range allPids() {
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && l == path {
				out = append(out, fmt.Sprintf("pid %d (fd %s): %s", pid, fd.Name(), cmdline(pid)))
			}
		}
	}
	return out
}

// pidFile reads name.pid: its pid, or 0 if there is none.
func (s *stack) pidFile(name string) (int, string) {
	b, err := os.ReadFile(filepath.Join(s.state, name+".pid"))
	if err != nil {
		return 0, ""
	}
	pid, _ := strconv.Atoi(strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)[0])
	return pid, string(b)
}

var services = []string{"minio", "fauxqs", "dynamodb"}

// (a) `up` starts PostgreSQL (the stub) and the three services; none of them, nor anything
// else, holds run/lock afterwards, so the next `up` gets the lock at once. The fake
// PostgreSQL is the process the bug was about: pg_ctlcluster's server kept fd 9.
func TestUpLeavesNoLockHolder(t *testing.T) {
	needInstalls(t)
	s := newStack(t)
	lock := filepath.Join(s.state, "lock")

	stderr, took := s.mustRun(3*time.Minute, "up")
	for _, want := range []string{"starting PostgreSQL", "starting fauxqs", "starting DynamoDB Local", "starting MinIO"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("up did not say %q", want)
		}
	}
	t.Logf("first up (starts everything): %v", took)
	if _, err := os.Stat(filepath.Join(s.pgDir, "up")); err != nil {
		t.Fatal("up did not start the (stub) PostgreSQL")
	}
	if h := lockHolders(lock); len(h) > 0 {
		t.Errorf("after up, processes hold %s open (the next up waits for them):\n  %s", lock, strings.Join(h, "\n  "))
	}

	s.pidFilesNameStarted()

	// The symptom: a second up waited 900s for the lock. Now it finds everything answering.
	stderr, took = s.mustRun(time.Minute, "up")
	t.Logf("second up (everything answers): %v", took)
	if n := strings.Count(stderr, "already answers"); n != 3 {
		t.Errorf("second up: %d services already answer, want 3", n)
	}
	if took > 30*time.Second {
		t.Errorf("second up took %v", took)
	}

	// down stops exactly the three services (the stub PostgreSQL keeps running, as the
	// machine's would) and removes their pid files.
	s.mustRun(time.Minute, "down")
	fakePG := 0
	if b, err := os.ReadFile(filepath.Join(s.pgDir, "postgres.pid")); err == nil {
		fakePG, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	for _, pid := range s.started() {
		if pid != fakePG {
			t.Errorf("after down, pid %d still runs: %s", pid, cmdline(pid))
		}
	}
	for _, name := range services {
		if _, err := os.Stat(filepath.Join(s.state, name+".pid")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after down, %s.pid is still there (%v)", name, err)
		}
	}
}

// pidFilesNameStarted fails the test unless every service has a pid file naming a live
// process that the test's `up` started; it returns those pids by service.
func (s *stack) pidFilesNameStarted() map[string]int {
	s.t.Helper()
	mine := s.started()
	pids := map[string]int{}
	for _, name := range services {
		pid, content := s.pidFile(name)
		if pid == 0 || !slices.Contains(mine, pid) {
			s.t.Fatalf("%s.pid = %q does not name a live process started by up (started: %v)", name, content, mine)
		}
		pids[name] = pid
	}
	return pids
}

// (c, for real) A MinIO paused (SIGSTOP) for 5s does not answer, but holds its port: `up`
// waits for it rather than start a second MinIO (which could only fail on the port), and
// minio.pid keeps naming the real one. PostgreSQL is "up" already here, so that the
// lock bug of (a) does not hide this one when run against the script before the fix.
func TestUpWaitsForPausedMinIO(t *testing.T) {
	needInstalls(t)
	s := newStack(t)
	if err := os.WriteFile(filepath.Join(s.pgDir, "up"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustRun(3*time.Minute, "up")
	mine := s.started()
	pid := s.pidFilesNameStarted()["minio"]
	_, before := s.pidFile("minio")
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := time.AfterFunc(5*time.Second, func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	defer func() { resumed.Stop(); _ = syscall.Kill(pid, syscall.SIGCONT) }()
	stderr, took := s.mustRun(2*time.Minute, "up")
	t.Logf("up with MinIO paused for 5s: %v", took)
	if !strings.Contains(stderr, "waiting up to") || strings.Contains(stderr, "starting MinIO") {
		t.Errorf("up did not wait for the paused MinIO without starting another")
	}
	if _, after := s.pidFile("minio"); after != before {
		t.Errorf("minio.pid changed from %q to %q", before, after)
	}
	if now := s.started(); !slices.Equal(now, mine) {
		t.Errorf("processes started with the test's environment were %v, are %v", mine, now)
	}
}

// (b) pid files naming a process the script did not start (an unrelated sleep: in the
// format of old pid files, and in the new one with another start time, as after pid
// reuse) or a process that is gone: down signals nothing and removes them as stale.
func TestDownSparesForeignPids(t *testing.T) {
	s := newStack(t)
	sleep := exec.Command("sleep", "300")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleep.Wait() }()
	t.Cleanup(func() { _ = sleep.Process.Kill() })
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pid := sleep.Process.Pid
	files := map[string]string{
		"minio":    fmt.Sprintf("%d\n", pid),                          // as the old script wrote them
		"fauxqs":   fmt.Sprintf("%d\n12345\n%s\n", pid, cmdline(pid)), // the same command, another process
		"dynamodb": fmt.Sprintf("%d\n", dead.Process.Pid),             // gone
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.state, name+".pid"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	stderr, took := s.mustRun(time.Minute, "down")
	t.Logf("down: %v", took)
	select {
	case err := <-exited:
		t.Fatalf("down signalled pid %d, an unrelated sleep: %v", pid, err)
	case <-time.After(500 * time.Millisecond):
	}
	for name := range files {
		if _, err := os.Stat(filepath.Join(s.state, name+".pid")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s.pid was not removed (%v)", name, err)
		}
		if !strings.Contains(stderr, "stale pid file "+filepath.Join(s.state, name+".pid")) {
			t.Errorf("down did not report %s.pid as stale", name)
		}
	}
	if strings.Contains(stderr, "stopping") {
		t.Errorf("down stopped something")
	}
}

// slowServer answers every HTTP request on 127.0.0.1:port after delay (never, if delay
// is negative), as a busy or paused service does.
func slowServer(t *testing.T, port int, delay time.Duration) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if delay < 0 {
				<-done
				return
			}
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			w.WriteHeader(http.StatusOK)
		}),
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { close(done); _ = srv.Close() })
}

// (c) Each service's port is held by a listener that answers after 3s (up's usual probe
// gives up after 2s): up waits for each and starts nothing. A listener that never answers
// makes up fail after TRUSTDOCS_BUSY_WAIT, with a message that says why, still starting
// nothing.
func TestUpWaitsForSlowListener(t *testing.T) {
	needInstalls(t)

	t.Run("slow", func(t *testing.T) {
		s := newStack(t)
		if err := os.WriteFile(filepath.Join(s.pgDir, "up"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []int{s.minio, s.fauxqs, s.ddb} {
			slowServer(t, p, 3*time.Second)
		}
		s.extra = []string{"TRUSTDOCS_BUSY_WAIT=60"}
		stderr, took := s.mustRun(90*time.Second, "up")
		t.Logf("up with three slow listeners: %v", took)
		if n := strings.Count(stderr, "waiting up to 60s"); n != 3 {
			t.Errorf("up waited for %d services, want 3", n)
		}
		if strings.Contains(stderr, "starting ") {
			t.Errorf("up started a service on a port in use")
		}
		s.noneStarted()
	})

	t.Run("never answers", func(t *testing.T) {
		s := newStack(t)
		if err := os.WriteFile(filepath.Join(s.pgDir, "up"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		slowServer(t, s.fauxqs, 0)
		slowServer(t, s.ddb, 0)
		slowServer(t, s.minio, -1)
		s.extra = []string{"TRUSTDOCS_BUSY_WAIT=4"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		_, stderr, err := s.run(ctx, "up")
		took := time.Since(start)
		t.Logf("up with MinIO's port held by a listener that never answers (%v):\n%s", took.Round(time.Millisecond), stderr)
		if err == nil || ctx.Err() != nil {
			t.Fatalf("up: %v, want it to fail on its own", err)
		}
		want := fmt.Sprintf("127.0.0.1:%d is in use", s.minio)
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, "not starting a second MinIO") {
			t.Errorf("up's error does not say %q and that it does not start a second MinIO", want)
		}
		if took > 45*time.Second {
			t.Errorf("up took %v to give up with TRUSTDOCS_BUSY_WAIT=4", took)
		}
		s.noneStarted()
	})
}

// noneStarted fails the test if up started a process or wrote a pid file.
func (s *stack) noneStarted() {
	s.t.Helper()
	for _, pid := range s.started() {
		s.t.Errorf("up started pid %d: %s", pid, cmdline(pid))
	}
	for _, name := range services {
		if pid, content := s.pidFile(name); pid != 0 {
			s.t.Errorf("up wrote %s.pid = %q", name, content)
		}
	}
}
