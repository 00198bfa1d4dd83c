package esign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"time"

	"trustdocs/webhook"
)

// DropboxCallback builds a Dropbox Sign callback as Dropbox Sign posts it:
// multipart/form-data with the event JSON in the `json` field, event_hash signed with
// apiKey. signatureID, role and email name the signer the event is about ("" for a
// request-level event). It returns the Content-Type and the body.
func DropboxCallback(apiKey, eventType, requestID, signatureID, role, email string, at time.Time) (string, []byte) {
	et := fmt.Sprint(at.Unix())
	signatures := []map[string]any{}
	if signatureID != "" {
		signatures = append(signatures, map[string]any{"signature_id": signatureID, "signer_email_address": email, "signer_role": role})
	}
	js, _ := json.Marshal(map[string]any{
		"event": map[string]any{"event_time": et, "event_type": eventType, "event_hash": webhook.DropboxEventHash(apiKey, et, eventType),
			"event_metadata": map[string]any{"related_signature_id": signatureID}},
		"signature_request": map[string]any{"signature_request_id": requestID, "signatures": signatures},
	})
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("json", string(js))
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}
