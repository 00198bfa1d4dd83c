// Package events is the data of trustdocs' messages: the envelope, the stable dotted type
// names and their routing. It imports no AWS, pgx or River.
package events

import "strings"

// Type names are part of the contract with the booking and trust systems
// (events/testdata/contracts): string literals, never derived from Go names.
const (
	CheckoutCompleted = "booking.checkout.completed"
	CheckoutAmended   = "booking.checkout.amended"
	CheckoutCancelled = "booking.checkout.cancelled"
	LegCompleted      = "booking.leg.completed"

	DisputeOpened         = "risk.dispute.opened"
	RefundRequested       = "risk.refund.requested"
	CancellationRecorded  = "risk.cancellation.recorded"
	DeliveryLate          = "risk.delivery.late"
	ChargeFailed          = "risk.charge.failed"
	ClickFlagged          = "risk.click.flagged"
	RiskWindowRecompute   = "risk.window.recompute"
	BackgroundCheckAsked  = "trust.background_check.requested"
	SocialVerificationSet = "trust.social_verification.checked"

	// WebhookReceived is what the receiver enqueues for a verified provider webhook.
	WebhookReceived = "provider.webhook.received"

	// Outbound types this pipeline publishes to pipeline-events.
	DocPackIssued     = "doc_pack.issued"
	DocPackSigned     = "doc_pack.signed"
	DocPackVoided     = "doc_pack.voided"
	DocPackSuperseded = "doc_pack.superseded"
	TrustUpdated      = "trust.updated"
)

// RiskSignals are the six counters of trust_risk_signal, by event type.
var RiskSignals = []string{DisputeOpened, RefundRequested, CancellationRecorded, DeliveryLate, ChargeFailed, ClickFlagged}

// Inbound lists every type the pipeline accepts, in a stable order.
var Inbound = []string{
	CheckoutCompleted, CheckoutAmended, CheckoutCancelled, LegCompleted,
	DisputeOpened, RefundRequested, CancellationRecorded, DeliveryLate, ChargeFailed, ClickFlagged,
	RiskWindowRecompute, BackgroundCheckAsked, SocialVerificationSet, WebhookReceived,
}

// Destination says where an inbound type is published: an SNS topic, or (for webhooks)
// straight onto the webhook queue.
type Destination int

const (
	Unroutable Destination = iota
	BookingTopic
	RiskTopic
	WebhookQueue
)

// DestinationOf routes a type the way the booking system does (events/testdata/contracts).
func DestinationOf(t string) Destination {
	switch {
	case t == WebhookReceived:
		return WebhookQueue
	case strings.HasPrefix(t, CheckoutPrefix):
		return BookingTopic
	case t == LegCompleted, strings.HasPrefix(t, RiskPrefix), strings.HasPrefix(t, TrustPrefix):
		return RiskTopic
	}
	return Unroutable
}

// Type-name prefixes the SNS filter policies route on. Routing by prefix rather than by
// exact list means a new type from upstream reaches a consumer, which can dead-letter it
// with a reason, instead of being dropped silently by a filter.
const (
	CheckoutPrefix = "booking.checkout."
	RiskPrefix     = "risk."
	TrustPrefix    = "trust."
)

// TypeAttribute is the SNS/SQS message attribute that carries the event type.
const TypeAttribute = "type"

// DocPackStatus is the pack status an outbound doc_pack.* type announces (issued,
// signed, voided, superseded); ok is false for other types.
func DocPackStatus(typ string) (status string, ok bool) {
	switch typ {
	case DocPackIssued, DocPackSigned, DocPackVoided, DocPackSuperseded:
		return strings.TrimPrefix(typ, "doc_pack."), true
	}
	return "", false
}
