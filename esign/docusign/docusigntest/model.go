package docusigntest

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// The stand-in keeps an envelope as the envelopeDefinition it was created with (the
// parts of it the adapter sends), plus its state. Field names are DocuSign's.

// Envelope is a created envelope.
//
//nolint:tagliatelle // DocuSign's own field names
type Envelope struct {
	EnvelopeID        string             `json:"envelopeId"`
	Status            string             `json:"status"`
	EmailSubject      string             `json:"emailSubject"`
	TransactionID     string             `json:"transactionId"`
	Documents         []Document         `json:"documents"`
	Recipients        Recipients         `json:"recipients"`
	CustomFields      CustomFields       `json:"customFields"`
	EventNotification *EventNotification `json:"eventNotification"`
	VoidedReason      string             `json:"voidedReason"`

	Created   time.Time `json:"-"`
	Completed time.Time `json:"-"`
	Voided    time.Time `json:"-"`
}

// CustomField is the value of the text custom field name, "" when there is none.
func (e Envelope) CustomField(name string) string {
	for _, f := range e.CustomFields.TextCustomFields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// PDF is the first document's bytes, as uploaded.
func (e Envelope) PDF() []byte {
	if len(e.Documents) == 0 {
		return nil
	}
	b, _ := base64.StdEncoding.DecodeString(e.Documents[0].DocumentBase64)
	return b
}

func (e *Envelope) clone() Envelope {
	b, _ := json.Marshal(e)
	var c Envelope
	_ = json.Unmarshal(b, &c)
	c.Created, c.Completed, c.Voided = e.Created, e.Completed, e.Voided
	return c
}

// Document is one of an envelope's documents.
//
//nolint:tagliatelle // DocuSign's own field names
type Document struct {
	DocumentID     string `json:"documentId"`
	Name           string `json:"name"`
	FileExtension  string `json:"fileExtension"`
	DocumentBase64 string `json:"documentBase64,omitempty"`
}

// Recipients are an envelope's recipients; the adapter sends signers only.
type Recipients struct {
	Signers []Signer `json:"signers"`
}

// Signer is a recipient who signs.
//
//nolint:tagliatelle // DocuSign's own field names
type Signer struct {
	RecipientID  string `json:"recipientId"`
	RoutingOrder string `json:"routingOrder"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	RoleName     string `json:"roleName"`
	Status       string `json:"status,omitempty"`
	Tabs         *Tabs  `json:"tabs,omitempty"`
}

// Tabs are a signer's fields.
//
//nolint:tagliatelle // DocuSign's own field names
type Tabs struct {
	SignHereTabs []SignHere `json:"signHereTabs"`
}

// SignHere is where a signer signs: 72 DPI pixels from the page's top-left corner.
//
//nolint:tagliatelle // DocuSign's own field names
type SignHere struct {
	DocumentID string `json:"documentId"`
	PageNumber string `json:"pageNumber"`
	XPosition  string `json:"xPosition"`
	YPosition  string `json:"yPosition"`
	TabLabel   string `json:"tabLabel,omitempty"`
}

// CustomFields are an envelope's custom fields.
//
//nolint:tagliatelle // DocuSign's own field names
type CustomFields struct {
	TextCustomFields []TextCustomField `json:"textCustomFields"`
}

// TextCustomField is a named value on an envelope.
type TextCustomField struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Show     string `json:"show,omitempty"`
	Required string `json:"required,omitempty"`
}

// EventNotification is an envelope's own Connect webhook.
//
//nolint:tagliatelle // DocuSign's own field names
type EventNotification struct {
	URL                       string    `json:"url"`
	IncludeHMAC               string    `json:"includeHMAC"`
	RequireAcknowledgment     string    `json:"requireAcknowledgment"`
	LoggingEnabled            string    `json:"loggingEnabled,omitempty"`
	IncludeEnvelopeVoidReason string    `json:"includeEnvelopeVoidReason,omitempty"`
	EventData                 EventData `json:"eventData"`
	Events                    []string  `json:"events"`
}

// EventData is the format of Connect messages: version restv2.1 and format json make
// them JSON SIM messages; includeData adds parts of the envelope to them.
//
//nolint:tagliatelle // DocuSign's own field names
type EventData struct {
	Version     string   `json:"version"`
	Format      string   `json:"format"`
	IncludeData []string `json:"includeData"`
}

// ErrorDetails is DocuSign's error body.
//
//nolint:tagliatelle // DocuSign's own field names
type ErrorDetails struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}
