// Package esign is the e-signature side of doc packs: the Provider interface the
// workers use, the errors every adapter speaks in, and Sandbox, a built-in provider for
// the demo and the tests that behaves like a real one (assigns envelope ids, takes its
// recipients from the signer map). The real providers are in esign/docusign and
// esign/dropboxsign.
package esign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"

	"trustdocs/apierror"
	"trustdocs/docpack"
)

// Recipient is one signer of an envelope.
type Recipient struct {
	Role         string `json:"role"`
	UserID       string `json:"user_id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	RoutingOrder int    `json:"routing_order"`
}

// Field is where a signer signs: a page (1-based) and a box in PDF points measured from
// the page's top-left corner (the renderer's own coordinates).
type Field struct {
	Role string  `json:"role"`
	Page int     `json:"page"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	W    float64 `json:"w"`
	H    float64 `json:"h"`
}

// Envelope is a document sent for signature.
type Envelope struct {
	DocID      string      `json:"doc_id"`
	PackID     string      `json:"pack_id"`
	Title      string      `json:"title"` // the document's name, as signers see it
	PDFKey     string      `json:"pdf_key"`
	PDFSHA256  string      `json:"pdf_sha256"`
	PDF        []byte      `json:"-"` // the locked bytes read back from S3, whose SHA-256 is PDFSHA256
	Recipients []Recipient `json:"recipients"`
	Fields     []Field     `json:"fields,omitempty"` // one signature field per signer, at least
}

// Sent is what a provider gave back for an envelope: its id, and each signer's id at
// the provider (DocuSign recipientId, Dropbox Sign signature_id) by role, so every
// webhook maps back to our document and signer.
type Sent struct {
	EnvelopeID   string            `json:"envelope_id"`
	RecipientIDs map[string]string `json:"recipient_ids,omitempty"`
}

// Executed is a completed envelope's executed copy: the signed PDF and, where the
// provider issues one (DocuSign), its certificate of completion.
type Executed struct {
	Signed      []byte
	Certificate []byte // nil when the provider has none
}

// Provider sends and voids envelopes and fetches their executed copies.
type Provider interface {
	Name() string
	// Send creates the envelope of a document, or, when one for the same document exists
	// already (a retry after a lost response, a killed worker), returns that one: a
	// document never gets two envelopes.
	Send(ctx context.Context, e Envelope) (Sent, error)
	// Void voids an envelope; voiding one already voided or completed is not an error.
	Void(ctx context.Context, envelopeID, reason string) error
	// Executed downloads a completed envelope's executed copy; ErrNotReady while the
	// provider is still preparing it.
	Executed(ctx context.Context, envelopeID string) (Executed, error)
}

// ErrNotReady means the provider has not finished preparing what was asked for: ask
// again later.
var ErrNotReady = errors.New("not ready yet at the provider")

// ErrInvalidEnvelope means an adapter refused an envelope before sending it (no
// recipient email, a field for nobody): the same envelope will always be refused.
var ErrInvalidEnvelope = errors.New("invalid envelope")

// Error is a provider's answer that was not a success (apierror.Error: the same for
// every provider trustdocs talks to).
type Error = apierror.Error

// IsPermanent reports whether err cannot be cured by retrying: a provider's permanent
// refusal, or an envelope an adapter refused as invalid.
func IsPermanent(err error) bool {
	return apierror.IsPermanent(err) || errors.Is(err, ErrInvalidEnvelope)
}

// Sandbox is a provider that needs no account: envelope ids derive from the document,
// so a retried send gets the same envelope.
type Sandbox struct{}

func (Sandbox) Name() string { return "sandbox" }

func (Sandbox) Send(_ context.Context, e Envelope) (Sent, error) {
	if len(e.Recipients) == 0 {
		return Sent{}, errors.New("envelope without recipients")
	}
	ids := map[string]string{}
	for _, r := range e.Recipients {
		if r.Email == "" {
			return Sent{}, errors.New("recipient " + r.Role + " has no email")
		}
		ids[r.Role] = strconv.Itoa(r.RoutingOrder)
	}
	sum := sha256.Sum256([]byte(e.DocID + "\x00" + e.PDFSHA256))
	return Sent{EnvelopeID: "env_sbx_" + hex.EncodeToString(sum[:8]), RecipientIDs: ids}, nil
}

func (Sandbox) Void(context.Context, string, string) error { return nil }

// KeepsExecutedCopy reports whether an envelope of provider has an executed copy to keep
// before its pack is signed: every real provider's; not the sandbox's, nor an envelope
// recorded without a provider (sent by the sandbox before providers were recorded).
// store.SignIfCompletedTx applies the same rule in SQL.
func KeepsExecutedCopy(provider string) bool {
	return provider != "" && provider != Sandbox{}.Name()
}

// Executed: the sandbox keeps no documents; its envelopes have no executed copy.
func (Sandbox) Executed(context.Context, string) (Executed, error) { return Executed{}, nil }

// RecipientsFrom turns a signer map into recipients in the given role order (the
// template's signer order), routing order 1, 2, ...
func RecipientsFrom(signers docpack.SignerMap, order []string) []Recipient {
	roles := signers.Roles(order)
	out := make([]Recipient, 0, len(roles))
	for i, role := range roles {
		s := signers[role]
		out = append(out, Recipient{Role: role, UserID: s.UserID, Name: s.Name, Email: s.Email, RoutingOrder: i + 1})
	}
	return out
}

// Checker is a provider that can prove its configuration (credentials, account)
// without sending anything.
type Checker interface {
	Check(ctx context.Context) error
}
