package dropboxsigntest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"trustdocs/esign/dropboxsign/dropboxsigntest"
)

const apiKey = "dbs-standin-key"

// recorder stands in for testing.TB where a test breaks the API document on purpose:
// it keeps the stand-in's Errorf messages instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// sendForm is a send as Dropbox Sign's form names it; edit drops or changes fields.
func sendForm(t *testing.T, fields map[string]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("files[0]", "doc.pdf")
	require.NoError(t, err)
	_, _ = part.Write([]byte("%PDF-1.7\n%%EOF\n"))
	for k, v := range fields {
		if v != "" {
			require.NoError(t, w.WriteField(k, v))
		}
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), buf.Bytes()
}

func validFields() map[string]string {
	return map[string]string{
		"title": "Agreement", "subject": "Agreement", "test_mode": "1",
		"metadata[doc_id]": "doc_1", "metadata[pack_id]": "pack_1",
		"signers[0][name]": "Cleo", "signers[0][email_address]": "cleo@example.com", "signers[0][order]": "0",
		"form_fields_per_document": `[{"document_index":0,"api_id":"sig_0","type":"signature","required":true,"signer":"0","page":1,"x":72,"y":600,"width":200,"height":40}]`,
	}
}

func post(t *testing.T, url, user, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth(user, "")
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(raw, &v), string(raw))
	return resp.StatusCode, v
}

func TestAcceptsASendShapedByTheDocument(t *testing.T) {
	t.Parallel()
	srv := dropboxsigntest.New(t, apiKey)
	ct, body := sendForm(t, validFields())
	status, answer := post(t, srv.URL()+"/signature_request/send", apiKey, ct, body)
	require.Equal(t, http.StatusOK, status, answer)
	sr := answer["signature_request"].(map[string]any)
	req, ok := srv.Request(sr["signature_request_id"].(string))
	require.True(t, ok)
	require.Equal(t, map[string]string{"doc_id": "doc_1", "pack_id": "pack_1"}, req.Metadata)
	require.Equal(t, "sig_0", req.Fields[0].APIID)
	sigs := sr["signatures"].([]any)
	require.Len(t, sigs, 1)
	require.Nil(t, sigs[0].(map[string]any)["signer_role"])
}

// Each request breaks the document in one way; the stand-in must say so through the
// test (Errorf, the validator's words) and answer in the provider's error shape.
func TestRejectsRequestsThatViolateTheDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		edit       func(map[string]string)
		user       string
		wantStatus int
		wantInMsg  string
	}{
		{"signer without email_address", func(f map[string]string) { delete(f, "signers[0][email_address]") }, apiKey,
			http.StatusBadRequest, `property "email_address" is missing`},
		{"signer with a malformed email_address", func(f map[string]string) { f["signers[0][email_address]"] = "cleo at example" }, apiKey,
			http.StatusBadRequest, "/signers/0/email_address"},
		{"form field without api_id", func(f map[string]string) {
			f["form_fields_per_document"] = `[{"document_index":0,"type":"signature","required":true,"signer":"0","page":1,"x":72,"y":600,"width":200,"height":40}]`
		}, apiKey, http.StatusBadRequest, `property "api_id" is missing`},
		{"form field with a fractional x", func(f map[string]string) {
			f["form_fields_per_document"] = strings.Replace(validFields()["form_fields_per_document"], `"x":72`, `"x":72.5`, 1)
		}, apiKey, http.StatusBadRequest, "/form_fields_per_document/0/x"},
		{"signer order not an integer", func(f map[string]string) { f["signers[0][order]"] = "first" }, apiKey,
			http.StatusBadRequest, "/signers/0/order"},
		{"title too long", func(f map[string]string) { f["title"] = strings.Repeat("t", 256) }, apiKey,
			http.StatusBadRequest, "/title"},
		{"wrong API key", func(map[string]string) {}, "not-the-key", http.StatusUnauthorized, "wrong API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{TB: t}
			srv := dropboxsigntest.New(rec, apiKey)
			fields := validFields()
			tc.edit(fields)
			ct, body := sendForm(t, fields)

			status, answer := post(t, srv.URL()+"/signature_request/send", tc.user, ct, body)
			require.Equal(t, tc.wantStatus, status)
			e := answer["error"].(map[string]any)
			require.NotEmpty(t, e["error_name"])
			require.Contains(t, e["error_msg"], tc.wantInMsg)
			msgs := rec.messages()
			require.Len(t, msgs, 1)
			require.Contains(t, msgs[0], "violates the API document")
			require.Contains(t, msgs[0], tc.wantInMsg)
			require.Zero(t, srv.Created())
		})
	}
}

func TestRejectsQueryParametersAndPathsOutsideTheDocument(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	srv := dropboxsigntest.New(rec, apiKey)
	get := func(path string) int {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
		require.NoError(t, err)
		req.SetBasicAuth(apiKey, "")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("/signature_request/list?query=metadata:doc_1&page_size=100"))
	require.Empty(t, rec.messages())
	require.Equal(t, http.StatusBadRequest, get("/signature_request/list?page_size=many"))
	require.Equal(t, http.StatusBadRequest, get("/signature_request/files/abc?file_type=docx"))
	require.Equal(t, http.StatusNotFound, get("/signature_requests/list"))
	msgs := rec.messages()
	require.Len(t, msgs, 3)
	require.Contains(t, msgs[0], `parameter "page_size"`)
	require.Contains(t, msgs[1], `parameter "file_type"`)
	require.Contains(t, msgs[2], "no operation of the API document")
}
