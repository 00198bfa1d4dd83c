package infra_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/rs/zerolog"

	"trustdocs/config"
	"trustdocs/infra"
)

// sdkBody behaves as the SDK's request body wrapper (smithy-go's safeWriteToReadCloser,
// v1.28): reads pass through, and WriteTo after Close answers io.EOF as an error. Its
// WriteTo waits for the Close, which pins down the ordering that happens by chance
// against a fast server: the response arrives, the SDK closes the body, and only then
// does net/http's writeLoop make its last check of the body.
type sdkBody struct {
	r      *bytes.Reader
	closed chan struct{}
	once   sync.Once
}

func (b *sdkBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *sdkBody) Close() error               { b.once.Do(func() { close(b.closed) }); return nil }
func (b *sdkBody) WriteTo(io.Writer) (int64, error) {
	<-b.closed
	return 0, io.EOF
}

// closeWatch is a connection that reports its Close.
type closeWatch struct {
	net.Conn
	closed chan struct{}
	once   sync.Once
}

func (c *closeWatch) Close() error { c.once.Do(func() { close(c.closed) }); return c.Conn.Close() }

// exchange sends a request through the client build makes to a server that answers as
// soon as it has the body, sending half its response, then the rest once the caller has
// closed the request body as the SDK does and the client had its chance to drop the
// connection. It returns what reading the response gave.
func exchange(t *testing.T, build func(...func(*http.Transport)) aws.HTTPClient) (string, error) {
	t.Helper()
	dropped := make(chan struct{})
	client := build(func(tr *http.Transport) {
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &closeWatch{Conn: c, closed: dropped}, nil
		}
	})
	const reply = `{"Messages":[` + `"first half", ` + `"second half"]}`
	rest := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			t.Errorf("server reading the request: %v", err)
		}
		w.Header().Set("Content-Length", "42")
		_, _ = io.WriteString(w, reply[:20])
		w.(http.Flusher).Flush()
		<-rest
		_, _ = io.WriteString(w, reply[20:])
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-rest:
		default:
			close(rest)
		}
	}()

	payload := []byte(`{"QueueUrl":"q","MaxNumberOfMessages":10}`)
	body := &sdkBody{r: bytes.NewReader(payload), closed: make(chan struct{})}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	_ = body.Close() // what smithy's ClientHandler does right after Do returns
	select {
	case <-dropped: // net/http took the closed body for a failed write
	case <-time.After(200 * time.Millisecond): // it kept the connection
	}
	close(rest)
	got, err := io.ReadAll(resp.Body)
	return string(got), err
}

// TestSDKHTTPClientKeepsTheResponseWhenTheSDKClosesTheBodyEarly proves the reason for
// SDKHTTPClient: with the SDK's own client a response is cut off when the SDK closes the
// request body before net/http's last look at it; with ours it arrives whole.
func TestSDKHTTPClientKeepsTheResponseWhenTheSDKClosesTheBodyEarly(t *testing.T) {
	got, err := exchange(t, func(opts ...func(*http.Transport)) aws.HTTPClient {
		return infra.SDKHTTPClient{BuildableClient: awshttp.NewBuildableClient()}.WithTransportOptions(opts...)
	})
	if err != nil || !strings.HasSuffix(got, `"second half"]}`) {
		t.Fatalf("through SDKHTTPClient: read %q, %v; want the whole response", got, err)
	}

	// The control: the same exchange through the SDK's client as it comes. If this stops
	// failing, net/http or smithy-go no longer has the race and SDKHTTPClient's copy can go.
	_, err = exchange(t, func(opts ...func(*http.Transport)) aws.HTTPClient {
		return awshttp.NewBuildableClient().WithTransportOptions(opts...)
	})
	if err == nil || !strings.Contains(err.Error(), "use of closed network connection") {
		t.Fatalf("through the SDK's own client: %v; want the connection closed under the response", err)
	}
}

// TestNewAWSSendsThroughSDKHTTPClient: every client NewAWS builds uses it, including
// with a custom CA bundle, which the SDK can only apply to its own client type.
func TestNewAWSSendsThroughSDKHTTPClient(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	tlsSrv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	clients, err := infra.NewAWS(context.Background(), config.Config{Region: "us-east-1", Stack: config.StackLocal}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for name, hc := range map[string]any{
		"SQS": clients.SQS.Options().HTTPClient, "SNS": clients.SNS.Options().HTTPClient,
		"S3": clients.S3.Options().HTTPClient, "DynamoDB": clients.DynamoDB.Options().HTTPClient,
	} {
		if _, ok := hc.(infra.SDKHTTPClient); !ok {
			t.Errorf("%s client sends through %T, want infra.SDKHTTPClient", name, hc)
		}
	}
}
