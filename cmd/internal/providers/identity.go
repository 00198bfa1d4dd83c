package providers

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"trustdocs/config"
	"trustdocs/idcheck"
	"trustdocs/idcheck/checkr"
	"trustdocs/idcheck/persona"
	"trustdocs/idcheck/stripeid"
)

// Identity is what the trust jobs ask identity and background-check providers' APIs.
type Identity struct {
	// AgeCheckers by the provider name identity updates carry (persona,
	// stripe_identity); a provider whose key is not set has none.
	AgeCheckers map[string]idcheck.AgeChecker
	Reports     idcheck.ReportReader // nil without CHECKR_API_KEY
	// AgeUnverified counts identities left without a verified age, by reason.
	AgeUnverified func(provider, reason string)
}

// IdentityAPIs builds the identity providers' API clients whose keys are set. With reg,
// their operations and the identities left unverified are counted.
func IdentityAPIs(cfg config.Config, reg prometheus.Registerer) (Identity, error) {
	id := Identity{AgeCheckers: map[string]idcheck.AgeChecker{}, AgeUnverified: func(string, string) {}}
	observe := func(string) func(op, outcome string) { return nil }
	if reg != nil {
		requests := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_identity_api_requests_total",
			Help: "Operations of identity and background-check providers' APIs by outcome (ok, retried, permanent, failed).",
		}, []string{"provider", "op", "outcome"})
		unverified := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustdocs_identity_age_unverified_total",
			Help: "Passed identity sessions left without a verified age, by reason (no_api_key, no_birthdate, under_age, provider_refused).",
		}, []string{"provider", "reason"})
		reg.MustRegister(requests, unverified)
		observe = func(provider string) func(op, outcome string) {
			return func(op, outcome string) { requests.WithLabelValues(provider, op, outcome).Inc() }
		}
		id.AgeUnverified = func(provider, reason string) { unverified.WithLabelValues(provider, reason).Inc() }
	}
	api := cfg.Identity
	if api.PersonaAPIKey != "" {
		c, err := persona.New(persona.Config{APIKey: api.PersonaAPIKey, APIURL: api.PersonaAPIURL, Observe: observe("persona")})
		if err != nil {
			return id, fmt.Errorf("persona: %w", err)
		}
		id.AgeCheckers["persona"] = c
	}
	if api.StripeAPIKey != "" {
		c, err := stripeid.New(stripeid.Config{APIKey: api.StripeAPIKey, APIURL: api.StripeAPIURL, Observe: observe("stripe")})
		if err != nil {
			return id, fmt.Errorf("stripe: %w", err)
		}
		id.AgeCheckers["stripe_identity"] = c // the name Stripe Identity updates carry
	}
	if api.CheckrAPIKey != "" {
		c, err := checkr.New(checkr.Config{APIKey: api.CheckrAPIKey, APIURL: api.CheckrAPIURL, Observe: observe("checkr")})
		if err != nil {
			return id, fmt.Errorf("checkr: %w", err)
		}
		id.Reports = c
	}
	return id, nil
}
