package workers

import (
	"github.com/riverqueue/river"

	"trustdocs/events"
	"trustdocs/webhook"
)

// riskCounter maps each risk signal type to its trust_risk_signal counter.
var riskCounter = map[string]string{
	events.DisputeOpened:        "disputes_opened",
	events.RefundRequested:      "refunds_asked",
	events.CancellationRecorded: "cancellations",
	events.DeliveryLate:         "late_delivery",
	events.ChargeFailed:         "charge_failures",
	events.ClickFlagged:         "bad_clicks",
}

// JobsFor returns the River jobs that carry out a validated event. The consumer inserts
// them in the transaction that records the event in the inbox.
func JobsFor(env events.Envelope) ([]river.InsertManyParams, error) {
	if counter, ok := riskCounter[env.Type]; ok {
		d, err := events.DataAs[events.RiskSignal](env)
		if err != nil {
			return nil, err
		}
		return one(RecordRiskEventArgs{
			EventID: env.ID, Signal: counter, UserIDs: []string{d.UserID}, OccurredAt: env.OccurredAt,
			BookingID: d.BookingID, LegID: d.LegID,
		}), nil
	}
	switch env.Type {
	case events.CheckoutCompleted:
		return one(BuildDocPackArgs{Event: env}), nil
	case events.CheckoutAmended, events.CheckoutCancelled:
		return one(EndDocPackArgs{Event: env}), nil
	case events.WebhookReceived:
		w, err := events.DataAs[events.Webhook](env)
		if err != nil {
			return nil, err
		}
		// One rule for every provider: a verified body we cannot parse is dead-lettered
		// here, at ingestion, with the parser's reason, so on-call sees it in `dlq list`
		// and can replay it once a build reads it. It never becomes a job that fails.
		switch w.Provider {
		case "docusign", "dropboxsign":
			// Parsed here only to check it: e-sign evidence keeps the provider's payload
			// as received, so the job carries the raw event and parses it again.
			if _, err := webhook.NormalizeESign(w.Provider, w.Headers["Content-Type"], w.BodyBase64); err != nil {
				return nil, &events.InvalidError{Class: events.ClassSchema, Type: env.Type, Reason: err.Error()}
			}
			return one(HandleWebhookArgs{Event: env}), nil
		case "persona", "stripe":
			// Normalized here, so the job (and the database) holds no personal data.
			normalize := webhook.NormalizePersona
			if w.Provider == "stripe" {
				normalize = webhook.NormalizeStripe
			}
			u, err := normalize(w.BodyBase64)
			if err != nil {
				return nil, &events.InvalidError{Class: events.ClassSchema, Type: env.Type, Reason: err.Error()}
			}
			return one(ApplyIdentityArgs{EventID: env.ID, Update: u, Provider: w.Provider, ReceiptID: w.ReceiptID, ReceivedAt: w.ReceivedAt}), nil
		case "checkr":
			// Normalized here too: a report's contents never reach the database.
			u, err := webhook.NormalizeCheckr(w.BodyBase64)
			if err != nil {
				return nil, &events.InvalidError{Class: events.ClassSchema, Type: env.Type, Reason: err.Error()}
			}
			return one(ApplyBackgroundCheckArgs{EventID: env.ID, Update: u, ReceiptID: w.ReceiptID, ReceivedAt: w.ReceivedAt}), nil
		}
		return nil, &events.InvalidError{Class: events.ClassUnhandled, Type: env.Type, Reason: "no job for " + w.Provider + " webhooks in this build"}
	case events.RiskWindowRecompute:
		d, err := events.DataAs[events.WindowRecompute](env)
		if err != nil {
			return nil, err
		}
		return one(RecomputeRiskArgs{UserID: d.UserID, Start: d.WindowStart, End: d.WindowEnd}), nil
	case events.BackgroundCheckAsked:
		d, err := events.DataAs[events.BackgroundCheckRequest](env)
		if err != nil {
			return nil, err
		}
		return one(RegisterBackgroundCheckArgs{EventID: env.ID, Request: d, At: env.OccurredAt}), nil
	case events.SocialVerificationSet:
		d, err := events.DataAs[events.SocialCheck](env)
		if err != nil {
			return nil, err
		}
		if d.CheckedAt.IsZero() {
			d.CheckedAt = env.OccurredAt
		}
		return one(ApplySocialCheckArgs{EventID: env.ID, Check: d}), nil
	case events.LegCompleted:
		d, err := events.DataAs[events.LegCompletion](env)
		if err != nil {
			return nil, err
		}
		return one(RecordRiskEventArgs{
			EventID: env.ID, Signal: "completed_booking", UserIDs: d.UserIDs, OccurredAt: env.OccurredAt,
			BookingID: d.BookingID, LegID: d.LegID,
		}), nil
	}
	// A valid type this build has no job for: the consumer dead-letters it with this
	// reason, so it can be replayed once a build that handles it runs, instead of being
	// dropped or retried forever.
	return nil, &events.InvalidError{Class: events.ClassUnhandled, Type: env.Type, Reason: "no job for this type in this build"}
}

func one(args river.JobArgs) []river.InsertManyParams {
	return []river.InsertManyParams{{Args: args}}
}
