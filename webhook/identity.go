package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"trustdocs/idcheck"
)

// IdentityUpdate is a provider-neutral identity-verification event. It carries no
// personal data: checks keep only their name, status and reason codes, and a date of
// birth, when a payload has one, becomes AgeVerified and is dropped.
type IdentityUpdate struct {
	Provider    string  `json:"provider"` // persona, stripe_identity
	ProviderEvt string  `json:"provider_event"`
	DedupeKey   string  `json:"dedupe_key"`
	ProviderRef string  `json:"provider_ref"` // inquiry or verification session id
	UserID      string  `json:"user_id"`
	Status      string  `json:"status,omitempty"` // idv_status.status, or "" for no change
	Checks      []Check `json:"checks,omitempty"`
	AgeVerified bool    `json:"age_verified"`
	// AgeCheck: the session passed but the payload carried no date of birth (Stripe's
	// events never do; some Persona payloads do not): the job asks the provider's API.
	AgeCheck bool      `json:"age_check,omitempty"`
	At       time.Time `json:"at"`
}

// UnmarshalJSON reads the snake_case form, and also the Go field names that builds
// before the JSON tags wrote into apply_identity jobs, so a job queued across an upgrade
// still applies its update instead of losing it.
func (u *IdentityUpdate) UnmarshalJSON(b []byte) error {
	type tagged IdentityUpdate // without this method
	var t tagged
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	if t.DedupeKey == "" {
		var legacy struct {
			Provider, ProviderEvt, DedupeKey, ProviderRef, UserID, Status string
			Checks                                                        []Check
			AgeVerified                                                   bool
			At                                                            time.Time
		}
		if err := json.Unmarshal(b, &legacy); err == nil && legacy.DedupeKey != "" {
			t = tagged{Provider: legacy.Provider, ProviderEvt: legacy.ProviderEvt, DedupeKey: legacy.DedupeKey, ProviderRef: legacy.ProviderRef,
				UserID: legacy.UserID, Status: legacy.Status, Checks: legacy.Checks, AgeVerified: legacy.AgeVerified, At: legacy.At}
		}
	}
	*u = IdentityUpdate(t)
	return nil
}

// Check is one verification check, as a non-PII summary.
type Check struct {
	Name    string   `json:"name"`
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
}

var personaStatus = map[string]string{
	"inquiry.created": "pending", "inquiry.started": "pending", "inquiry.approved": "passed",
	"inquiry.declined": "failed", "inquiry.failed": "failed", "inquiry.expired": "expired",
	"inquiry.marked-for-review": "requires_review",
	// inquiry.completed is passed only without manual decisioning; we decide on approved
	// or declined, so completed leaves the status as it is. redacted changes nothing.
}

// NormalizePersona reads a Persona webhook: dedupe on data.id, the inquiry's reference-id
// is our user id, checks come from payload.included verifications.
func NormalizePersona(body []byte) (IdentityUpdate, error) {
	//nolint:tagliatelle // Persona's own kebab-case field names (JSON:API)
	var m struct {
		Data struct {
			ID         string `json:"id"`
			Attributes struct {
				Name      string `json:"name"`
				CreatedAt string `json:"created-at"`
				Payload   struct {
					Data struct {
						ID         string `json:"id"`
						Attributes struct {
							ReferenceID string `json:"reference-id"`
							Birthdate   string `json:"birthdate"` // older API versions
							// Current versions keep collected data in typed fields:
							// {"birthdate": {"type": "date", "value": "1995-09-08"}}.
							Fields struct {
								Birthdate struct {
									Value string `json:"value"`
								} `json:"birthdate"`
							} `json:"fields"`
						} `json:"attributes"`
					} `json:"data"`
					Included []struct {
						Type       string `json:"type"`
						Attributes struct {
							Birthdate string  `json:"birthdate"`
							Checks    []Check `json:"checks"`
						} `json:"attributes"`
					} `json:"included"`
				} `json:"payload"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return IdentityUpdate{}, fmt.Errorf("%w: persona: %w", ErrMalformed, err)
	}
	a := m.Data.Attributes
	inq := a.Payload.Data
	if m.Data.ID == "" || a.Name == "" || inq.ID == "" {
		return IdentityUpdate{}, fmt.Errorf("%w: persona: data.id, event name and inquiry id are required", ErrMalformed)
	}
	at, err := time.Parse(time.RFC3339Nano, a.CreatedAt)
	if err != nil {
		return IdentityUpdate{}, fmt.Errorf("%w: persona: created-at %q", ErrMalformed, a.CreatedAt)
	}
	u := IdentityUpdate{Provider: "persona", ProviderEvt: a.Name, DedupeKey: "persona|" + m.Data.ID,
		ProviderRef: inq.ID, UserID: inq.Attributes.ReferenceID, Status: personaStatus[a.Name], At: at}
	// The date of birth, wherever this payload has it, becomes AgeVerified and is dropped.
	dated := false
	for _, dob := range []string{inq.Attributes.Fields.Birthdate.Value, inq.Attributes.Birthdate} {
		if dob != "" {
			dated = true
			u.AgeVerified = u.AgeVerified || idcheck.Adult(dob, at)
		}
	}
	for _, inc := range a.Payload.Included {
		if !strings.HasPrefix(inc.Type, "verification/") {
			continue
		}
		if inc.Attributes.Birthdate != "" {
			dated = true
			u.AgeVerified = u.AgeVerified || idcheck.Adult(inc.Attributes.Birthdate, at)
		}
		for _, c := range inc.Attributes.Checks {
			u.Checks = append(u.Checks, Check{Name: c.Name, Status: c.Status, Reasons: c.Reasons})
		}
	}
	u.AgeCheck = u.Status == "passed" && !dated
	return u, nil
}

// NormalizeStripe reads a Stripe Identity event: dedupe on the event id; the session's
// client_reference_id (or metadata.user_id) is our user id.
func NormalizeStripe(body []byte) (IdentityUpdate, error) {
	var m struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Created int64  `json:"created"`
		Data    struct {
			Object struct {
				ID                string            `json:"id"`
				Status            string            `json:"status"`
				ClientReferenceID string            `json:"client_reference_id"`
				Metadata          map[string]string `json:"metadata"`
				LastError         *struct {
					Code string `json:"code"`
				} `json:"last_error"`
				VerifiedOutputs *struct {
					DOB *struct {
						Day, Month, Year int
					} `json:"dob"`
				} `json:"verified_outputs"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return IdentityUpdate{}, fmt.Errorf("%w: stripe: %w", ErrMalformed, err)
	}
	o := m.Data.Object
	if m.ID == "" || m.Type == "" || o.ID == "" {
		return IdentityUpdate{}, fmt.Errorf("%w: stripe: id, type and session id are required", ErrMalformed)
	}
	at := time.Unix(m.Created, 0).UTC()
	u := IdentityUpdate{Provider: "stripe_identity", ProviderEvt: m.Type, DedupeKey: "stripe|" + m.ID, ProviderRef: o.ID,
		UserID: o.ClientReferenceID, At: at}
	if u.UserID == "" {
		u.UserID = o.Metadata["user_id"]
	}
	switch m.Type {
	case "identity.verification_session.created", "identity.verification_session.processing":
		u.Status = "pending"
	case "identity.verification_session.verified":
		u.Status = "passed"
	case "identity.verification_session.requires_input":
		u.Status = "pending"
		if o.LastError != nil && o.LastError.Code != "" {
			u.Status = "failed"
			u.Checks = append(u.Checks, Check{Name: "session", Status: "failed", Reasons: []string{o.LastError.Code}})
		}
	case "identity.verification_session.canceled":
		u.Status = "failed"
	}
	if d := o.VerifiedOutputs; d != nil && d.DOB != nil {
		u.AgeVerified = idcheck.Adult(fmt.Sprintf("%04d-%02d-%02d", d.DOB.Year, d.DOB.Month, d.DOB.Day), at)
	} else {
		// Events never carry verified_outputs (Stripe returns it only to a retrieve with
		// expand[]=verified_outputs.dob): the job asks.
		u.AgeCheck = u.Status == "passed"
	}
	return u, nil
}
