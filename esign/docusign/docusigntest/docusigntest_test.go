package docusigntest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/esign/docusign/docusigntest"
)

// definition is a valid envelopeDefinition with a JSON SIM eventNotification to url.
func definition(url string) map[string]any {
	return map[string]any{
		"status": "sent", "emailSubject": "Please sign", "transactionId": "doc_raw",
		"documents": []any{map[string]any{"documentId": "1", "name": "NDA", "fileExtension": "pdf", "documentBase64": "JVBERi0xLjcKJSVFT0YK"}},
		"recipients": map[string]any{"signers": []any{map[string]any{
			"recipientId": "1", "routingOrder": "1", "name": "Ada", "email": "ada@acme.example", "roleName": "issuer",
			"tabs": map[string]any{"signHereTabs": []any{map[string]any{"documentId": "1", "pageNumber": "1", "xPosition": "72", "yPosition": "640"}}},
		}}},
		"customFields": map[string]any{"textCustomFields": []any{map[string]any{"name": "doc_id", "value": "doc_raw", "show": "false"}}},
		"eventNotification": map[string]any{
			"url": url, "includeHMAC": "true", "requireAcknowledgment": "true",
			"eventData": map[string]any{"version": "restv2.1", "format": "json", "includeData": []any{"recipients", "custom_fields"}},
			"events":    []any{"recipient-delivered", "recipient-completed", "envelope-completed"},
		},
	}
}

// call makes a raw API request with a valid token and returns the status and body.
func call(t *testing.T, ds *docusigntest.Server, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ds.BaseURI()+"/restapi/v2.1/accounts/"+ds.AccountID()+"/"+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+ds.IssueToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := ds.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func TestTheValidatorRefusesWhatTheDocumentDoesNotAllow(t *testing.T) {
	t.Parallel()
	ds := docusigntest.New(t, docusigntest.RecordInvalid())

	status, body := call(t, ds, http.MethodPost, "envelopes", definition("https://hooks.example/webhooks/docusign"))
	require.Equal(t, http.StatusCreated, status, "the control request is valid: %s", body)
	require.Empty(t, ds.Rejected())

	for name, tc := range map[string]struct {
		method, path string
		tweak        func(map[string]any)
		want         string
	}{
		"a number where the document wants a string": {http.MethodPost, "envelopes", func(d map[string]any) {
			d["recipients"].(map[string]any)["signers"].([]any)[0].(map[string]any)["routingOrder"] = 1
		}, "routingOrder"},
		"an array where the document wants an object": {http.MethodPost, "envelopes", func(d map[string]any) {
			d["customFields"] = []any{"doc_id=x"}
		}, "customFields"},
		"a field the document does not define": {http.MethodPost, "envelopes", func(d map[string]any) {
			d["emailSubjet"] = d["emailSubject"]
		}, "emailSubjet"},
		"JSON SIM events of the wrong type": {http.MethodPost, "envelopes", func(d map[string]any) {
			d["eventNotification"].(map[string]any)["events"] = "envelope-completed"
		}, "events"},
		"a query parameter the document does not declare": {http.MethodGet, "envelopes?from_date=2026-01-01&custom_fields=doc_id%3Dx", nil, "custom_fields"},
		"an operation the document does not have":         {http.MethodDelete, "envelopes/abc", nil, "no such operation"},
	} {
		t.Run(name, func(t *testing.T) {
			var body any
			if tc.tweak != nil {
				d := definition("https://hooks.example/webhooks/docusign")
				tc.tweak(d)
				body = d
			}
			before := len(ds.Rejected())
			status, raw := call(t, ds, tc.method, tc.path, body)
			require.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, status)
			var e docusigntest.ErrorDetails
			require.NoError(t, json.Unmarshal(raw, &e), "DocuSign's errorDetails shape")
			require.NotEmpty(t, e.ErrorCode)
			require.Contains(t, e.Message, tc.want)
			require.Len(t, ds.Rejected(), before+1)
		})
	}
	require.Equal(t, 1, ds.Created(), "only the control request created an envelope")
}

// The stand-in's Connect messages use only fields of DocuSign's example message, each
// with the example's JSON type.
func TestConnectMessagesAreShapedLikeDocuSignsExample(t *testing.T) {
	t.Parallel()
	ds := docusigntest.New(t)
	var mu sync.Mutex
	var bodies [][]byte
	hooks := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, b)
	}))
	t.Cleanup(hooks.Close)
	status, raw := call(t, ds, http.MethodPost, "envelopes", definition(hooks.URL))
	require.Equal(t, http.StatusCreated, status, "%s", raw)
	var created struct {
		EnvelopeID string `json:"envelopeId"` //nolint:tagliatelle // DocuSign's own field name
	}
	require.NoError(t, json.Unmarshal(raw, &created))
	require.NoError(t, ds.Sign(t.Context(), created.EnvelopeID, "key"))

	exampleRaw, err := docusigntest.Testdata.ReadFile("testdata/connect.schema-v2.json")
	require.NoError(t, err)
	var example any
	require.NoError(t, json.Unmarshal(exampleRaw, &example))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 3)
	for _, b := range bodies {
		var msg any
		require.NoError(t, json.Unmarshal(b, &msg))
		conforms(t, "", msg, example)
		m := msg.(map[string]any)
		_, err := time.Parse(time.RFC3339Nano, m["generatedDateTime"].(string))
		require.NoError(t, err)
	}
}

// conforms checks that every field of got is in example, with the same JSON type
// (arrays: each element against the example's first).
func conforms(t *testing.T, path string, got, example any) {
	t.Helper()
	switch g := got.(type) {
	case map[string]any:
		ex, ok := example.(map[string]any)
		require.True(t, ok, "%s is an object, the example's is %T", path, example)
		for k, v := range g {
			exv, ok := ex[k]
			require.True(t, ok, "%s.%s is not a field of DocuSign's example message", path, k)
			conforms(t, path+"."+k, v, exv)
		}
	case []any:
		ex, ok := example.([]any)
		require.True(t, ok && len(ex) > 0, "%s is an array, the example's is %v", path, example)
		for i, v := range g {
			conforms(t, fmt.Sprintf("%s[%d]", path, i), v, ex[0])
		}
	default:
		require.IsType(t, example, got, "%s", path)
	}
}

func TestTheSearchHonoursItsFilters(t *testing.T) {
	t.Parallel()
	ds := docusigntest.New(t)
	status, raw := call(t, ds, http.MethodPost, "envelopes", definition("https://hooks.example/webhooks/docusign"))
	require.Equal(t, http.StatusCreated, status, "%s", raw)
	count := func(query url.Values) int {
		t.Helper()
		status, raw := call(t, ds, http.MethodGet, "envelopes?"+query.Encode(), nil)
		require.Equal(t, http.StatusOK, status, "%s", raw)
		var list struct {
			Envelopes []struct{} `json:"envelopes"`
		}
		require.NoError(t, json.Unmarshal(raw, &list))
		return len(list.Envelopes)
	}
	yesterday := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	require.Equal(t, 1, count(url.Values{"transaction_ids": {"doc_raw"}}))
	require.Equal(t, 0, count(url.Values{"transaction_ids": {"doc_other"}}))
	require.Equal(t, 1, count(url.Values{"from_date": {yesterday}, "custom_field": {"doc_id=doc_raw"}}))
	require.Equal(t, 0, count(url.Values{"from_date": {yesterday}, "custom_field": {"doc_id=doc_other"}}))
	require.Equal(t, 0, count(url.Values{"from_date": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}))

	status, raw = call(t, ds, http.MethodGet, "envelopes?custom_field=doc_id%3Ddoc_raw", nil)
	require.Equal(t, http.StatusBadRequest, status, "from_date is required without ids")
	require.True(t, strings.Contains(string(raw), "from_date"))
}
