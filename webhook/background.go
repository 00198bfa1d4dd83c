package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// BackgroundUpdate is a provider-neutral background-check event. Checkr names the
// candidate, not our user: the trust.background_check.requested event that started the
// check maps the candidate to a user.
type BackgroundUpdate struct {
	Provider     string    `json:"provider"`
	ProviderEvt  string    `json:"provider_event"`
	DedupeKey    string    `json:"dedupe_key"`
	CandidateID  string    `json:"candidate_id"`
	ReportID     string    `json:"report_id,omitempty"`
	Package      string    `json:"package,omitempty"`
	Status       string    `json:"status,omitempty"`       // bg_status.status, or "" for no change
	Adjudication string    `json:"adjudication,omitempty"` // adjudication step, or ""
	At           time.Time `json:"at"`
	// ResultPending: a report.completed that does not carry the result; the job reads it
	// from Checkr's API (statuses and ids only).
	ResultPending bool `json:"result_pending,omitempty"`
}

// checkrStatus maps Checkr events to bg_status values. report.completed is decided by
// the report's result; engaged and the adverse-action steps keep the status and are
// recorded as adjudication instead (FCRA: a result moves through its own steps and
// never silently changes anything else).
var checkrStatus = map[string]string{
	"invitation.created": "invited", "invitation.completed": "in_progress", "invitation.expired": "expired",
	"invitation.deleted": "withdrawn", "report.created": "in_progress", "report.updated": "in_progress",
	"report.resumed": "in_progress", "report.suspended": "suspended", "report.disputed": "disputed",
	"report.canceled": "withdrawn",
}

var checkrAdjudication = map[string]string{
	"report.engaged": "engaged", "report.pre_adverse_action": "pre_adverse_action",
	"report.post_adverse_action": "post_adverse_action",
}

// NormalizeCheckr reads a Checkr webhook: dedupe on the event id; the candidate comes
// from the invitation or report object.
func NormalizeCheckr(body []byte) (BackgroundUpdate, error) {
	var m struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		CreatedAt string `json:"created_at"`
		Data      struct {
			Object struct {
				ID          string `json:"id"`
				Object      string `json:"object"`
				CandidateID string `json:"candidate_id"`
				Package     string `json:"package"`
				Status      string `json:"status"`
				Result      string `json:"result"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return BackgroundUpdate{}, fmt.Errorf("%w: checkr: %w", ErrMalformed, err)
	}
	o := m.Data.Object
	if m.ID == "" || m.Type == "" {
		return BackgroundUpdate{}, fmt.Errorf("%w: checkr: id and type are required", ErrMalformed)
	}
	at, err := time.Parse(time.RFC3339Nano, m.CreatedAt)
	if err != nil {
		return BackgroundUpdate{}, fmt.Errorf("%w: checkr: created_at %q", ErrMalformed, m.CreatedAt)
	}
	u := BackgroundUpdate{Provider: "checkr", ProviderEvt: m.Type, DedupeKey: "checkr|" + m.ID, CandidateID: o.CandidateID,
		Package: o.Package, Status: checkrStatus[m.Type], Adjudication: checkrAdjudication[m.Type], At: at.UTC()}
	if strings.HasPrefix(m.Type, "report.") {
		u.ReportID = o.ID
	}
	if m.Type == "report.completed" {
		switch o.Result {
		case "clear", "consider":
			u.Status = o.Result
		case "":
			u.ResultPending = true // the job reads the report's result from the API
		default:
			return BackgroundUpdate{}, fmt.Errorf("%w: checkr: report.completed with result %q", ErrMalformed, o.Result)
		}
	}
	if (u.Status != "" || u.Adjudication != "" || u.ResultPending) && u.CandidateID == "" {
		return BackgroundUpdate{}, fmt.Errorf("%w: checkr: %s without candidate_id", ErrMalformed, m.Type)
	}
	return u, nil
}
