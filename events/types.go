// Package events is the data of trustdocs' messages: the envelope, the stable dotted type
// names and their routing. It imports no AWS, pgx or River.
package events

// Type names are part of the contract with the booking and trust systems
// (../shared/contracts): string literals, never derived from Go names.
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
)

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
