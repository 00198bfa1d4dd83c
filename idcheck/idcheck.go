// Package idcheck is what the trust jobs ask identity and background-check providers'
// APIs when a webhook does not carry the answer: whether a passed identity session
// shows an adult (Persona inquiries, Stripe Identity verification sessions), and a
// background check report's status and result (Checkr). Implementations read the date
// of birth only to compute AgeVerified and drop it: no date of birth, document number,
// address or photo ever leaves them, in a value, an error or a log line.
// The implementations are in idcheck/persona, idcheck/stripeid and idcheck/checkr.
package idcheck

import (
	"context"
	"time"
)

// AdultAge is the age a date of birth must show for age_verified.
const AdultAge = 18

// Adult reports whether a date of birth (YYYY-MM-DD) shows someone of AdultAge at at;
// false for a date it cannot read.
func Adult(birthdate string, at time.Time) bool {
	dob, err := time.Parse(time.DateOnly, birthdate)
	if err != nil {
		return false
	}
	return !dob.AddDate(AdultAge, 0, 0).After(at)
}

// AgeChecker retrieves an identity session from its provider and says whether it
// verified an adult's date of birth.
type AgeChecker interface {
	Name() string // persona, stripe
	// AgeVerified retrieves the session (a Persona inquiry id, a Stripe verification
	// session id). found is false when the provider verified no date of birth.
	AgeVerified(ctx context.Context, ref string, at time.Time) (adult, found bool, err error)
}

// Report is a background check report's state, statuses and ids only.
type Report struct {
	ID          string
	CandidateID string
	Status      string // pending, complete, suspended, dispute, canceled
	Result      string // clear, consider, or "" while pending
}

// ReportReader retrieves a background check report (Checkr) when a webhook lacks its
// result.
type ReportReader interface {
	Name() string
	Report(ctx context.Context, reportID string) (Report, error)
}
