package infra

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// maxInMemoryBody bounds the request bodies SDKHTTPClient sends from memory: every SQS,
// SNS and DynamoDB request and every document PUT is far below it. A larger body (none
// today) is streamed as the SDK hands it over.
const maxInMemoryBody = 8 << 20

// SDKHTTPClient is the HTTP client every AWS SDK client here uses: the SDK's own, sending
// each request body of known length from memory. NewAWS wraps the client the SDK's
// config resolved (with AWS_CA_BUNDLE and the like applied).
//
// Why: the SDK hands net/http a body wrapper that answers io.EOF as an *error* from
// WriteTo once the SDK has closed it, which it does as soon as Do returns. net/http's
// writeLoop makes one last read of the body after sending it, to check there is nothing
// beyond Content-Length; when the server's response beat that read (a fast server on a
// short path, such as SQS on loopback), the read fails, net/http takes it as a write
// error and closes the connection while the response body is still being read. The call
// then fails with "deserialization failed ... use of closed network connection": the SDK
// retries it after a backoff of up to a second or two, and for ReceiveMessage the
// messages the lost response held stay invisible for the visibility timeout. Measured on
// the local stack: about one in 1,000 SQS calls, and a reconnect every 30. An in-memory
// body also lets net/http send headers and body in one write instead of two.
type SDKHTTPClient struct{ *awshttp.BuildableClient }

// WithTransportOptions returns a copy whose transport has opts applied.
func (c SDKHTTPClient) WithTransportOptions(opts ...func(*http.Transport)) SDKHTTPClient {
	return SDKHTTPClient{c.BuildableClient.WithTransportOptions(opts...)}
}

// Do sends r, its body from memory when its length is known and within maxInMemoryBody.
func (c SDKHTTPClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > maxInMemoryBody {
		return c.BuildableClient.Do(r)
	}
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, body)
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body (%d bytes declared): %w", r.ContentLength, err)
	}
	// A shallow copy: the caller's request is not ours to change.
	mem := *r
	mem.Body = io.NopCloser(bytes.NewReader(body))
	mem.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c.BuildableClient.Do(&mem)
}
