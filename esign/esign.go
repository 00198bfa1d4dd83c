// Package esign is the e-signature side of doc packs: the Provider interface the
// workers use, and Sandbox, a built-in provider for the demo and the tests that behaves
// like a real one (assigns envelope ids, takes its recipients from the signer map).
package esign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

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

// Envelope is a document sent for signature.
type Envelope struct {
	DocID      string      `json:"doc_id"`
	PackID     string      `json:"pack_id"`
	PDFKey     string      `json:"pdf_key"`
	PDFSHA256  string      `json:"pdf_sha256"`
	Recipients []Recipient `json:"recipients"`
}

// Provider sends and voids envelopes.
type Provider interface {
	Name() string
	// Send returns the provider's envelope id. Sending the same document again must
	// return the same id (providers take an idempotency key; the sandbox derives it).
	Send(ctx context.Context, e Envelope) (envelopeID string, err error)
	Void(ctx context.Context, envelopeID, reason string) error
}

// Sandbox is a provider that needs no account: envelope ids derive from the document,
// so a retried send gets the same envelope.
type Sandbox struct{}

func (Sandbox) Name() string { return "sandbox" }

func (Sandbox) Send(_ context.Context, e Envelope) (string, error) {
	if len(e.Recipients) == 0 {
		return "", errors.New("envelope without recipients")
	}
	for _, r := range e.Recipients {
		if r.Email == "" {
			return "", errors.New("recipient " + r.Role + " has no email")
		}
	}
	sum := sha256.Sum256([]byte(e.DocID + "\x00" + e.PDFSHA256))
	return "env_sbx_" + hex.EncodeToString(sum[:8]), nil
}

func (Sandbox) Void(context.Context, string, string) error { return nil }

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
