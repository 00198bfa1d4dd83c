package events

import (
	"encoding/json"
	"fmt"
	"time"
)

// Payload structs, one per type. The JSON Schemas in schemas/ are the contract; these
// structs are how Go code reads a validated envelope's data.

// Party is one signer of a leg's documents.
type Party struct {
	Role                    string `json:"role"` // buyer, talent, studio_owner, witness
	UserID                  string `json:"user_id"`
	LegalName               string `json:"legal_name"`
	Email                   string `json:"email"`
	TalentKind              string `json:"talent_kind,omitempty"`
	DateOfMajorityConfirmed *bool  `json:"date_of_majority_confirmed,omitempty"`
}

// Checkout is the data of booking.checkout.completed and .amended.
type Checkout struct {
	BookingID       string    `json:"booking_id"`
	LegID           string    `json:"leg_id"`
	AmendmentReason string    `json:"amendment_reason,omitempty"`
	City            string    `json:"city"`
	Roles           []string  `json:"roles"`
	Service         string    `json:"service"`
	StartsAt        time.Time `json:"starts_at"`
	EndsAt          time.Time `json:"ends_at"`
	Location        Location  `json:"location"`
	Fee             Money     `json:"fee"`
	UsageRights     string    `json:"usage_rights"`
	Parties         []Party   `json:"parties"`
}

type Location struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type Money struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

// CheckoutCancellation is the data of booking.checkout.cancelled.
type CheckoutCancellation struct {
	BookingID string `json:"booking_id"`
	LegID     string `json:"leg_id"`
	Reason    string `json:"reason"`
}

// LegCompletion is the data of booking.leg.completed.
type LegCompletion struct {
	BookingID string   `json:"booking_id"`
	LegID     string   `json:"leg_id"`
	UserIDs   []string `json:"user_ids"`
}

// RiskSignal is the common part of the six risk.* signal events.
type RiskSignal struct {
	UserID    string `json:"user_id"`
	BookingID string `json:"booking_id,omitempty"`
	LegID     string `json:"leg_id,omitempty"`
}

// WindowRecompute is the data of risk.window.recompute: [WindowStart, WindowEnd).
type WindowRecompute struct {
	UserID      string `json:"user_id"`
	WindowStart string `json:"window_start"` // YYYY-MM-DD
	WindowEnd   string `json:"window_end"`
}

// BackgroundCheckRequest is the data of trust.background_check.requested.
type BackgroundCheckRequest struct {
	UserID       string `json:"user_id"`
	Provider     string `json:"provider"`
	CandidateID  string `json:"candidate_id"`
	InvitationID string `json:"invitation_id,omitempty"`
	Package      string `json:"package"`
}

// SocialCheck is the data of trust.social_verification.checked.
type SocialCheck struct {
	UserID    string          `json:"user_id"`
	Platform  string          `json:"platform"`
	Handle    string          `json:"handle"`
	Verified  bool            `json:"verified"`
	Snapshot  json.RawMessage `json:"snapshot,omitempty"`
	CheckedAt time.Time       `json:"checked_at"`
}

// Webhook is the data of provider.webhook.received: a verified webhook as received.
type Webhook struct {
	Provider   string            `json:"provider"`
	Headers    map[string]string `json:"headers"`
	BodyBase64 []byte            `json:"body_base64"` // encoding/json base64-encodes []byte
	ReceivedAt time.Time         `json:"received_at"`
	ReceiptID  string            `json:"receipt_id"`
}

// DataAs decodes a validated envelope's data into T.
func DataAs[T any](e Envelope) (T, error) {
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, fmt.Errorf("%s %s: decode data: %w", e.Type, e.ID, err)
	}
	return v, nil
}
