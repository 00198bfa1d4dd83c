// Package stripeidtest runs Stripe's official API stand-in, stripe-mock, for tests of
// idcheck/stripeid, with a fixture layer in front of it (WithDOB) for what stripe-mock's
// fixtures lack. Nothing here reaches the network beyond the Go module proxy, once, to
// install stripe-mock into the shared cache.
package stripeidtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"trustdocs/testkit"
)

// MockVersion is the stripe-mock release the tests run: the newest the Go module proxy
// listed when it was pinned. Its OpenAPI spec and fixtures are built into the binary, so this version also
// pins the API shapes the tests validate against.
const MockVersion = "v0.203.0"

const mockModule = "github.com/stripe/stripe-mock"

// APIKey is a key stripe-mock accepts: any well-formed test-mode secret key.
const APIKey = "sk_test_trustdocs"

const (
	installTimeout = 10 * time.Minute
	startTimeout   = 30 * time.Second
	listenPrefix   = "Listening for HTTP at address: "
)

var installMu sync.Mutex // one install at a time in this test binary

// StripeMock starts stripe-mock on loopback ports the system picks and returns its
// base URL; it is stopped when t ends. A test with several subtests calls it once and
// shares it (stripe-mock keeps no state; starting one takes most of a second).
//
// The binary is installed once, with `go install`, into
// $TRUSTDOCS_CACHE/tools/stripe-mock-<MockVersion> (the cache `make` uses for
// golangci-lint), and reused by every later run and clone. Under -short (make unit)
// the test is skipped with a message; otherwise a stripe-mock that cannot be installed
// or started fails the test, with its output.
func StripeMock(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs stripe-mock (installed once into $TRUSTDOCS_CACHE/tools with go install): skipped under -short (make unit)")
	}
	bin, err := install()
	if err != nil {
		t.Fatalf("stripe-mock %s: %v", MockVersion, err)
	}
	url, err := start(t, bin)
	if err != nil {
		t.Fatalf("stripe-mock %s (%s): %v", MockVersion, bin, err)
	}
	return url
}

// cacheDir is the shared cache of the Makefile and scripts/devstack.sh.
func cacheDir() (string, error) {
	if d := os.Getenv("TRUSTDOCS_CACHE"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no TRUSTDOCS_CACHE and no home directory: %w", err)
	}
	return filepath.Join(home, ".cache", "trustdocs"), nil
}

// install returns the cached binary, building it first if it is not there. The build
// goes to a temporary GOBIN inside the tools directory and is renamed into place, so a
// concurrent install (another package's test binary) never leaves a half-written file:
// the last rename wins and both binaries are the same.
func install() (string, error) {
	installMu.Lock()
	defer installMu.Unlock()
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	tools := filepath.Join(cache, "tools")
	bin := filepath.Join(tools, "stripe-mock-"+MockVersion)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(tools, 0o755); err != nil {
		return "", err
	}
	gobin, err := os.MkdirTemp(tools, ".stripe-mock-install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(gobin)
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("installing needs the go command: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "install", mockModule+"@"+MockVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	cmd.Dir = gobin
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", mockModule, MockVersion, err, out)
	}
	if err := os.Rename(filepath.Join(gobin, "stripe-mock"), bin); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "stripeidtest: installed stripe-mock %s into %s in %s\n", MockVersion, bin, time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// start runs bin on loopback and waits until it answers. Both listeners get port 0
// (the system picks a free one, so there is no race with other tests), and both are
// bound to 127.0.0.1: stripe-mock turns HTTPS off only for -http-port, not for
// -http-addr, and would otherwise also listen on every interface at port 12112. The
// HTTP port chosen is read from stripe-mock's own startup line.
func start(t testing.TB, bin string) (string, error) {
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var logs testkit.SyncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // our own child, by its pid
		<-exited
	})

	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			_, _ = logs.Write([]byte(line + "\n"))
			if a, ok := strings.CutPrefix(line, listenPrefix); ok {
				select {
				case addr <- strings.TrimSpace(a):
				default:
				}
			}
		}
		_, _ = io.Copy(&logs, stdout)
		_ = cmd.Wait()
		close(exited)
	}()

	deadline := time.After(startTimeout)
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-exited:
		return "", fmt.Errorf("exited before listening: %s", logs.String())
	case <-deadline:
		return "", fmt.Errorf("no %q line within %s: %s", listenPrefix, startTimeout, logs.String())
	}
	for {
		if answers(base) {
			return base, nil
		}
		select {
		case <-exited:
			return "", fmt.Errorf("exited before answering at %s: %s", base, logs.String())
		case <-deadline:
			return "", fmt.Errorf("did not answer at %s within %s: %s", base, startTimeout, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// answers reports whether stripe-mock serves an API request (any HTTP answer will do).
func answers(base string) bool {
	req, err := http.NewRequest(http.MethodGet, base+"/v1/identity/verification_sessions/vs_probe", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+APIKey)
	c := http.Client{Timeout: time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}
