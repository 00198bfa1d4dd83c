package docusign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"trustdocs/esign"
)

// maxBody bounds what is read of one response: DocuSign caps a document at 25 MB and an
// envelope at a few of them, so a combined PDF stays well under this.
const maxBody = 256 << 20

// request is one API call, replayable: the body is bytes, not a reader.
type request struct {
	op          string // token, userinfo, send, find, void, executed
	method, url string
	body        []byte
	contentType string // of body
	accept      string // default application/json
}

// response is a 2xx answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiURL is the URL of an eSignature resource of our account: path is relative to
// …/accounts/{accountId}/ and already escaped.
func (c *Client) apiURL(ctx context.Context, path string, query url.Values) (string, error) {
	base, err := c.baseURI(ctx)
	if err != nil {
		return "", err
	}
	u := base + "/restapi/v2.1/accounts/" + url.PathEscape(c.cfg.AccountID) + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u, nil
}

// call makes an API request with retries, decoding a JSON answer into out (when not nil).
func (c *Client) call(ctx context.Context, r request, out any) (*response, error) {
	var resp *response
	err := c.retry(ctx, r.op, func() error {
		var err error
		resp, err = c.authorized(ctx, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return nil, fmt.Errorf("docusign %s: decoding the answer to %s %s: %w", r.op, r.method, r.url, err)
		}
	}
	return resp, nil
}

// authorized makes one attempt with the cached access token. A 401 means DocuSign no
// longer takes that token (revoked, or expired earlier than announced): it is dropped
// and the request made once more with a fresh one.
func (c *Client) authorized(ctx context.Context, r request) (*response, error) {
	for reauth := false; ; reauth = true {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, final{err}
		}
		resp, err := c.roundTrip(ctx, r, tok)
		var pe *esign.Error
		if reauth || !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
			return resp, err
		}
		c.auth.invalidate(tok)
	}
}

// roundTrip makes one HTTP request. Errors: an *esign.Error for a non-2xx answer, with
// DocuSign's error code and message; a wrapped transport error when no answer came.
func (c *Client) roundTrip(ctx context.Context, r request, bearer string) (*response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, final{fmt.Errorf("docusign %s: %w", r.op, err)}
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("docusign %s: %w", r.op, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("docusign %s: reading the answer: %w", r.op, err)
	}
	if len(b) > maxBody {
		return nil, final{fmt.Errorf("docusign %s: answer larger than %d bytes", r.op, maxBody)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, &esign.Error{Provider: "docusign", Op: r.op, Status: res.StatusCode, Message: errorText(res.StatusCode, b),
			RetryAfter: retryAfter(res.StatusCode, res.Header, c.cfg.Now())}
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// errorText is DocuSign's own account of a failure: "errorCode: message" from the API's
// errorDetails, "error: error_description" from the OAuth service.
func errorText(status int, body []byte) string {
	var e errorDetails
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.ErrorCode != "":
			return strings.TrimSuffix(e.ErrorCode+": "+e.Message, ": ")
		case e.OAuthError != "":
			return strings.TrimSuffix(e.OAuthError+": "+e.OAuthDescription, ": ")
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) <= 300 {
		return s
	}
	return http.StatusText(status)
}
