package webhook

import (
	"encoding/json"
	"fmt"
	"strconv"
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
	Role        string // signer role, when a recipient acted and the provider names it
	RecipientID string // the provider's id of the recipient who acted (DocuSign recipientId, Dropbox Sign signature_id)
	Email       string
	At          time.Time
	// Payload is the provider's event as JSON, kept as evidence: the body for DocuSign,
	// the `json` form field for Dropbox Sign (its body is multipart).
	Payload []byte
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
	//nolint:tagliatelle // DocuSign Connect's own camelCase field names
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
		return ESignUpdate{}, fmt.Errorf("%w: docusign: %w", ErrMalformed, err)
	}
	if m.Event == "" || m.Data.EnvelopeID == "" {
		return ESignUpdate{}, fmt.Errorf("%w: docusign: event and data.envelopeId are required", ErrMalformed)
	}
	at, err := time.Parse(time.RFC3339Nano, m.GeneratedDateTime)
	if err != nil {
		return ESignUpdate{}, fmt.Errorf("%w: docusign: generatedDateTime %q", ErrMalformed, m.GeneratedDateTime)
	}
	u := ESignUpdate{
		Provider: "docusign", ProviderEvt: m.Event, EnvelopeID: m.Data.EnvelopeID, At: at, Payload: body,
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
	u.RecipientID = m.Data.RecipientID
	for _, s := range m.Data.EnvelopeSummary.Recipients.Signers {
		if s.RecipientID == m.Data.RecipientID && m.Data.RecipientID != "" {
			u.Role, u.Email = s.RoleName, s.Email
		}
	}
	// Who acted is settled against the ids stored at send (the job): a completed
	// recipient who is none of our signers (a carbon copy) gets no evidence row there.
	return u, nil
}

// dropboxEvents maps Dropbox Sign event types to {evidence event, envelope status}, with
// the same decline rule as DocuSign's.
var dropboxEvents = map[string][2]string{
	"signature_request_sent":       {"envelope_sent", "sent"},
	"signature_request_viewed":     {"viewed", ""},
	"signature_request_signed":     {"signed", ""},
	"signature_request_all_signed": {"", "completed"},
	"signature_request_declined":   {"declined", "voided"},
	"signature_request_canceled":   {"voided", "voided"},
	"signature_request_expired":    {"expired", "expired"},
}

// NormalizeDropboxSign reads a Dropbox Sign callback (multipart/form-data, the event in
// its `json` field). Dropbox Sign sends no event id: the dedupe key is
// (signature_request_id, event_type, event_time, related_signature_id). Its signature
// covers only event_time and event_type, so the verifier checked freshness, and the
// terminal states here move the envelope only forward, like every other provider's.
func NormalizeDropboxSign(contentType string, body []byte) (ESignUpdate, error) {
	raw, err := dropboxJSON(contentType, body)
	if err != nil {
		return ESignUpdate{}, fmt.Errorf("dropboxsign: %w", err)
	}
	var m struct {
		Event struct {
			EventTime     string `json:"event_time"`
			EventType     string `json:"event_type"`
			EventMetadata struct {
				RelatedSignatureID string `json:"related_signature_id"`
			} `json:"event_metadata"`
		} `json:"event"`
		SignatureRequest struct {
			SignatureRequestID string `json:"signature_request_id"`
			Signatures         []struct {
				SignatureID        string `json:"signature_id"`
				SignerEmailAddress string `json:"signer_email_address"`
				SignerRole         string `json:"signer_role"`
			} `json:"signatures"`
		} `json:"signature_request"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return ESignUpdate{}, fmt.Errorf("%w: dropboxsign: %w", ErrMalformed, err)
	}
	e, sr := m.Event, m.SignatureRequest
	sec, err := strconv.ParseInt(e.EventTime, 10, 64)
	if err != nil || e.EventType == "" {
		return ESignUpdate{}, fmt.Errorf("%w: dropboxsign: event_time and event_type are required", ErrMalformed)
	}
	u := ESignUpdate{Provider: "dropboxsign", ProviderEvt: e.EventType, EnvelopeID: sr.SignatureRequestID, At: time.Unix(sec, 0).UTC(), Payload: raw,
		DedupeKey: strings.Join([]string{"dropboxsign", sr.SignatureRequestID, e.EventType, e.EventTime, e.EventMetadata.RelatedSignatureID}, "|")}
	if e.EventType == "callback_test" {
		return u, nil // the account's test ping: acknowledged, nothing to apply
	}
	if sr.SignatureRequestID == "" {
		return ESignUpdate{}, fmt.Errorf("%w: dropboxsign: signature_request.signature_request_id is required", ErrMalformed)
	}
	if mapping, ok := dropboxEvents[e.EventType]; ok {
		u.Event, u.Status = mapping[0], mapping[1]
	}
	u.RecipientID = e.EventMetadata.RelatedSignatureID
	for _, s := range sr.Signatures {
		if s.SignatureID == e.EventMetadata.RelatedSignatureID && s.SignatureID != "" {
			// signer_role is null for requests sent without template roles (ours): the
			// job maps the signature_id stored at send, or the email, to our signer.
			u.Role, u.Email = s.SignerRole, s.SignerEmailAddress
		}
	}
	return u, nil
}

// NormalizeESign normalizes an e-sign provider's event (docusign or dropboxsign; the
// content type matters to Dropbox Sign's form posts).
func NormalizeESign(provider, contentType string, body []byte) (ESignUpdate, error) {
	switch provider {
	case "docusign":
		return NormalizeDocuSign(body)
	case "dropboxsign":
		return NormalizeDropboxSign(contentType, body)
	}
	return ESignUpdate{}, fmt.Errorf("%w: %s is not an e-sign provider", ErrMalformed, provider)
}
