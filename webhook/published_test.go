package webhook_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustdocs/webhook"
)

// Dropbox Sign's own published callback examples (testdata/published, with their
// source): requests sent without template roles carry signer_role null, so the
// normalizer names no role and leaves the signer to the ids stored at send.
func TestDropboxSignPublishedCallbacksNormalize(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dropboxsign_EventCallbackAccountSignatureRequestSent.json", "dropboxsign_EventCallbackAppSignatureRequestSent.json"} {
		js, err := os.ReadFile("testdata/published/" + name)
		require.NoError(t, err)
		var want struct {
			Event struct {
				EventMetadata struct {
					RelatedSignatureID string `json:"related_signature_id"`
				} `json:"event_metadata"`
			} `json:"event"`
			SignatureRequest struct {
				SignatureRequestID string `json:"signature_request_id"`
			} `json:"signature_request"`
		}
		require.NoError(t, json.Unmarshal(js, &want))
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField("json", string(js)))
		require.NoError(t, mw.Close())

		u, err := webhook.NormalizeDropboxSign(mw.FormDataContentType(), buf.Bytes())
		require.NoError(t, err, name)
		require.Equal(t, want.SignatureRequest.SignatureRequestID, u.EnvelopeID, name)
		require.Equal(t, "envelope_sent", u.Event, name)
		require.Equal(t, "sent", u.Status, name)
		require.Equal(t, want.Event.EventMetadata.RelatedSignatureID, u.RecipientID, name)
		require.Empty(t, u.Role, "signer_role is null in the published payload")
		require.Equal(t, time.Unix(1348177752, 0).UTC(), u.At)
		require.JSONEq(t, string(js), string(u.Payload), "the evidence keeps the event as received")
	}
}

// DocuSign's published Connect example has every field of a JSON SIM message, with
// placeholder values; with a real event, time and acting recipient set (the only
// changes), the normalizer reads it, whatever else it carries.
func TestDocuSignPublishedConnectMessageNormalizes(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/published/docusign_connect.schema-v2.json")
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	m["event"], m["generatedDateTime"] = "recipient-completed", "2026-11-24T12:00:00.1234567Z"
	data := m["data"].(map[string]any)
	signer := data["envelopeSummary"].(map[string]any)["recipients"].(map[string]any)["signers"].([]any)[0].(map[string]any)
	data["recipientId"] = signer["recipientId"]
	body, err := json.Marshal(m)
	require.NoError(t, err)

	u, err := webhook.NormalizeDocuSign(body)
	require.NoError(t, err)
	require.Equal(t, data["envelopeId"], u.EnvelopeID)
	require.Equal(t, "signed", u.Event)
	require.Equal(t, signer["recipientId"], u.RecipientID)
	require.Equal(t, signer["roleName"], u.Role)
	require.Equal(t, signer["email"], u.Email)
	require.Equal(t, "docusign|12345|"+u.EnvelopeID+"|recipient-completed|"+u.RecipientID+"|2026-11-24T12:00:00.1234567Z", u.DedupeKey)
}
