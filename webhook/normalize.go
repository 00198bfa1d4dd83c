package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ESignUpdate is a provider-neutral e-signature event.
type ESignUpdate struct {
	Provider    string
	ProviderEvt string // the provider's own event name
	DedupeKey   string
	EnvelopeID  string
	Event       string // doc_sign_event.event, or "" when the event has no evidence row
	Status      string // the envelope_status it leads to, or "" for none
	Role        string // signer role, when a recipient acted
	Email       string
	At          time.Time
}

// Envelope statuses an event leads to. A decline ends the envelope: it can never
// complete, and DocuSign and Dropbox Sign both stop routing it, so it is recorded as a
// `declined` evidence row and the envelope becomes `voided` (the seed has no
// `declined` status).
var esignEvents = map[string][2]string{ // provider event -> {evidence event, status}
	"envelope-sent":       {"envelope_sent", "sent"},
	"recipient-sent":      {"envelope_sent", "sent"},
	"recipient-delivered": {"viewed", ""},
	"recipient-completed": {"signed", ""},
	"recipient-declined":  {"declined", "voided"},
	"envelope-declined":   {"declined", "voided"},
	"envelope-completed":  {"", "completed"},
	"envelope-voided":     {"voided", "voided"},
	"envelope-delivered":  {"", ""},
}

// NormalizeDocuSign reads a DocuSign Connect (JSON SIM) message. Its dedupe key is
// (configurationId, envelopeId, event, recipientId, generatedDateTime): DocuSign sends no
// event id, and retryCount changes between retries.
func NormalizeDocuSign(body []byte) (ESignUpdate, error) {
	var m struct {
		Event             string          `json:"event"`
		ConfigurationID   json.RawMessage `json:"configurationId"`
		GeneratedDateTime string          `json:"generatedDateTime"`
		Data              struct {
			EnvelopeID      string `json:"envelopeId"`
			RecipientID     string `json:"recipientId"`
			EnvelopeSummary struct {
				VoidedReason string `json:"voidedReason"`
				Recipients   struct {
					Signers []struct {
						RecipientID string `json:"recipientId"`
						Email       string `json:"email"`
						RoleName    string `json:"roleName"`
					} `json:"signers"`
				} `json:"recipients"`
			} `json:"envelopeSummary"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return ESignUpdate{}, fmt.Errorf("%w: docusign: %v", ErrMalformed, err)
	}
	if m.Event == "" || m.Data.EnvelopeID == "" {
		return ESignUpdate{}, fmt.Errorf("%w: docusign: event and data.envelopeId are required", ErrMalformed)
	}
	at, err := time.Parse(time.RFC3339Nano, m.GeneratedDateTime)
	if err != nil {
		return ESignUpdate{}, fmt.Errorf("%w: docusign: generatedDateTime %q", ErrMalformed, m.GeneratedDateTime)
	}
	u := ESignUpdate{
		Provider: "docusign", ProviderEvt: m.Event, EnvelopeID: m.Data.EnvelopeID, At: at,
		DedupeKey: strings.Join([]string{"docusign", strings.Trim(string(m.ConfigurationID), `"`), m.Data.EnvelopeID, m.Event,
			m.Data.RecipientID, m.GeneratedDateTime}, "|"),
	}
	mapping, known := esignEvents[m.Event]
	if known {
		u.Event, u.Status = mapping[0], mapping[1]
	}
	if m.Event == "envelope-voided" && strings.Contains(strings.ToLower(m.Data.EnvelopeSummary.VoidedReason), "expired") {
		u.Event, u.Status = "expired", "expired" // DocuSign has no expired event: it voids with this reason
	}
	for _, s := range m.Data.EnvelopeSummary.Recipients.Signers {
		if s.RecipientID == m.Data.RecipientID && m.Data.RecipientID != "" {
			u.Role, u.Email = s.RoleName, s.Email
		}
	}
	if strings.HasPrefix(m.Event, "recipient-") && u.Role == "" && u.Event == "signed" {
		// A completed recipient who is not a signer (a carbon copy) signs nothing.
		u.Event = ""
	}
	return u, nil
}
