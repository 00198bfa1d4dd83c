package esign

import (
	"encoding/json"
	"time"
)

// ConnectMessage builds a DocuSign Connect (JSON SIM) message, the format the sandbox
// provider posts to the receiver so the demo and tests exercise the production path.
func ConnectMessage(event, envelopeID, recipientID, role, email string, at time.Time) []byte {
	signers := []map[string]any{}
	if recipientID != "" {
		signers = append(signers, map[string]any{"recipientId": recipientID, "email": email, "roleName": role, "status": "completed"})
	}
	b, _ := json.Marshal(map[string]any{
		"event": event, "configurationId": 10001, "retryCount": 0, "generatedDateTime": at.UTC().Format(time.RFC3339Nano),
		"data": map[string]any{"envelopeId": envelopeID, "recipientId": recipientID, "envelopeSummary": map[string]any{
			"status": "sent", "recipients": map[string]any{"signers": signers},
		}},
	})
	return b
}
