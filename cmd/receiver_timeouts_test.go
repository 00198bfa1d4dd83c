package cmd_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/testkit"
)

// The receiver binary with RECEIVER_READ_TIMEOUT=1s: a client that sends its headers
// and then drips its body a byte every 100 ms (a 20 s body) is answered 408 and its
// connection closed about 1 s after it connected, and its place is given back; a client
// dripping its headers is disconnected as soon.
func TestReceiverCutsOffSlowClientsAtTheReadTimeout(t *testing.T) {
	t.Parallel()
	cfg := testkit.Config(t)
	testkit.Bootstrap(t, cfg, testkit.AWS(t, cfg))
	addr := freeAddr(t)
	logs := startBin(t, testkit.Env(cfg, "RECEIVER_ADDR="+addr, "WEBHOOK_SECRET_CHECKR=ck-test",
		"RECEIVER_READ_TIMEOUT=1s", "RECEIVER_WRITE_TIMEOUT=5s"), "receiver")
	waitFor(t, "http://"+addr+"/healthz", &bytes.Buffer{})

	// bounds: not before the timeout, and well before the 20 s the body would take.
	const timeout, slack = time.Second, 2 * time.Second

	t.Run("body", func(t *testing.T) {
		body := `{"id":"evt_slow","object":"event","type":"report.completed","pad":"` + strings.Repeat("x", 150) + `"}`
		m := hmac.New(sha256.New, []byte("ck-test"))
		m.Write([]byte(body))
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer conn.Close()
		start := time.Now()
		_, err = fmt.Fprintf(conn, "POST /webhooks/checkr HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"+
			"X-Checkr-Signature: %s\r\nContent-Length: %d\r\n\r\n", hex.EncodeToString(m.Sum(nil)), len(body))
		require.NoError(t, err)
		go func() {
			for i := range len(body) {
				if _, err := conn.Write([]byte{body[i]}); err != nil {
					return // the receiver closed the connection
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		require.NoError(t, conn.SetReadDeadline(start.Add(timeout+slack)))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "an answer within the bounds; receiver log:\n%s", logs)
		answered := time.Since(start)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
		require.GreaterOrEqual(t, answered, timeout-100*time.Millisecond, "not cut before the read timeout")
		require.Less(t, answered, timeout+slack)
		_, err = br.ReadByte()
		require.ErrorIs(t, err, io.EOF, "the connection is closed after the answer (not a timeout: %v)", err)

		metrics := scrape(t, addr)
		require.Contains(t, metrics, `trustdocs_receiver_rejected_total{provider="checkr",reason="slow_body"} 1`)
		require.Contains(t, metrics, `trustdocs_receiver_inflight{provider="checkr",stage="unverified"} 0`, "its place is given back")
	})

	t.Run("headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer conn.Close()
		start := time.Now()
		go func() {
			for _, c := range []byte("POST /webhooks/checkr HTTP/1.1\r\nHost: receiver\r\nX-Padding: " + strings.Repeat("y", 200)) {
				if _, err := conn.Write([]byte{c}); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		require.NoError(t, conn.SetReadDeadline(start.Add(timeout+slack)))
		_, err = io.ReadAll(conn) // whatever the server says, then its close
		require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the receiver closed the connection within the bounds")
		require.Less(t, time.Since(start), timeout+slack)
	})
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	code, body := call(t, "http://"+addr+"/metrics", "")
	require.Equal(t, http.StatusOK, code)
	return body
}
