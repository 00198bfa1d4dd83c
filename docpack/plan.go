// Package docpack decides what a checkout's doc pack holds: which templates apply to the
// leg, which of their clauses pass their city and role gates, the variables each clause
// needs (resolved from the event, formatted for a contract, validated against the
// clause's schema) and who signs; and renders a document from what the database keeps of
// it (Render), the same bytes every time. It is pure logic: the River jobs store the
// plan and the PDFs.
package docpack

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // city time zones without relying on the host's zoneinfo

	"trustdocs/content"
	"trustdocs/events"
)

// Doc is one document of a pack: a template version, its gated clauses in order, the
// variables they use and the signer of each role.
type Doc struct {
	TemplateID      string
	TemplateVersion int
	TemplateName    string
	Layout          content.Layout
	Clauses         []content.LiveClause
	Variables       map[string]string
	Signers         SignerMap // by signer role, those of the template's roles the leg has
}

// Plan is the documents of one pack.
type Plan struct {
	LegID string
	City  string
	Docs  []Doc
}

// ErrNoTemplate means no live template applies to the leg.
var ErrNoTemplate = errors.New("no active template applies to this leg")

// Build plans a pack for a checkout. An error names every missing or invalid variable
// and missing signer, so the failure recorded on the pack says what upstream must fix.
func Build(c events.Checkout, templates []content.LiveTemplate) (Plan, error) {
	p := Plan{LegID: c.LegID, City: c.City}
	vars := Variables(c)
	var problems []string
	for _, t := range templates {
		if !content.Matches(t.CityGate, c.City) || !content.Matches(t.RoleGate, c.Roles...) {
			continue
		}
		d := Doc{TemplateID: t.TemplateID, TemplateVersion: t.Version, TemplateName: t.Name, Layout: t.Layout,
			Variables: map[string]string{}, Signers: SignerMap{}}
		for _, cl := range t.Clauses {
			if !content.Matches(cl.CityGate, c.City) || !content.Matches(cl.RoleGate, c.Roles...) {
				continue
			}
			clause := content.Clause{Name: cl.Name, Body: cl.Body, Variables: cl.Variables}
			need := map[string]string{}
			for _, name := range content.Placeholders(cl.Body) {
				if v, ok := vars[name]; ok {
					need[name] = v
				}
			}
			for _, name := range required(cl.Variables) {
				if v, ok := vars[name]; ok {
					need[name] = v
				}
			}
			if err := content.ValidateVariables(clause, need); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s", t.Name, err))
				continue
			}
			for k, v := range need {
				d.Variables[k] = v
			}
			d.Clauses = append(d.Clauses, cl)
		}
		for _, sr := range t.SignerRoles {
			party, ok := partyFor(c, sr.Role)
			if !ok {
				if !sr.Optional {
					problems = append(problems, fmt.Sprintf("%s: no party with signer role %q", t.Name, sr.Role))
				}
				continue
			}
			d.Signers[sr.Role] = Signer{UserID: party.UserID, Name: party.LegalName, Email: party.Email}
		}
		p.Docs = append(p.Docs, d)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return p, errors.New(strings.Join(problems, "; "))
	}
	if len(p.Docs) == 0 {
		return p, fmt.Errorf("leg %s in %s with roles %v: %w", c.LegID, c.City, c.Roles, ErrNoTemplate)
	}
	return p, nil
}

func required(schema json.RawMessage) []string {
	var s struct {
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(schema, &s)
	return s.Required
}

func partyFor(c events.Checkout, role string) (events.Party, bool) {
	i := slices.IndexFunc(c.Parties, func(p events.Party) bool { return p.Role == role })
	if i < 0 {
		return events.Party{}, false
	}
	return c.Parties[i], true
}

// cityZones maps the marketplace's city codes to their time zones; times in documents
// are shown where the session happens.
var cityZones = map[string]string{
	"NYC": "America/New_York", "LA": "America/Los_Angeles", "SF": "America/Los_Angeles",
	"CHI": "America/Chicago", "MIA": "America/New_York", "LDN": "Europe/London",
	"PAR": "Europe/Paris", "BER": "Europe/Berlin",
}

// Variables resolves every variable a clause may use from a checkout, formatted as a
// contract shows them. Absent data is absent, so a clause that needs it fails validation.
func Variables(c events.Checkout) map[string]string {
	v := map[string]string{}
	set := func(k, val string) {
		if strings.TrimSpace(val) != "" {
			v[k] = val
		}
	}
	set("booking_id", c.BookingID)
	set("leg_id", c.LegID)
	set("city", c.City)
	set("service", c.Service)
	set("usage_rights", c.UsageRights)
	set("location_name", c.Location.Name)
	set("location_address", c.Location.Address)
	loc := time.UTC
	if z, ok := cityZones[c.City]; ok {
		if l, err := time.LoadLocation(z); err == nil {
			loc = l
		}
	}
	if !c.StartsAt.IsZero() {
		set("starts_at", c.StartsAt.In(loc).Format("Monday, January 2, 2006 at 3:04 PM MST"))
	}
	if !c.EndsAt.IsZero() {
		set("ends_at", c.EndsAt.In(loc).Format("Monday, January 2, 2006 at 3:04 PM MST"))
	}
	if c.Fee.Currency != "" {
		set("fee_amount", Money(c.Fee))
	}
	for _, p := range c.Parties {
		switch p.Role {
		case "buyer":
			set("buyer_name", p.LegalName)
		case "talent":
			set("talent_name", p.LegalName)
			if p.DateOfMajorityConfirmed != nil {
				set("date_of_majority_confirmed", map[bool]string{true: "yes", false: "no"}[*p.DateOfMajorityConfirmed])
			}
		case "studio_owner":
			set("studio_name", p.LegalName)
		}
	}
	return v
}

// Money formats minor units as "USD 1,200.00".
func Money(m events.Money) string {
	neg := m.AmountMinor < 0
	a := m.AmountMinor
	if neg {
		a = -a
	}
	units, cents := a/100, a%100
	s := fmt.Sprint(units)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return fmt.Sprintf("%s %s%s.%02d", m.Currency, sign, b.String(), cents)
}
