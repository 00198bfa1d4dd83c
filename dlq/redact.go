package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"trustdocs/events"
	"trustdocs/store"
)

// PersonalDataProviders are the providers whose webhooks carry personal data: identity
// (Persona, Stripe Identity) and background checks (Checkr). The consumer normalizes
// their bodies at ingestion so no table holds that data, but a dead letter of theirs
// keeps the raw body in the DLQ for its retention (14 days). A dead letter of theirs
// shows ids and event types only; its body is shown only when asked for with a reason,
// and that is audited (pipelinectl dlq show --unsafe-show-body --reason).
var PersonalDataProviders = []string{"persona", "stripe", "checkr"}

// redact replaces the shown body of a webhook of a personal-data provider by nothing,
// keeping the provider's own event id and type (what on-call needs to find the event at
// the provider), and the raw body for a replay.
func (m *Message) redact() {
	if m.Type != events.WebhookReceived || m.env == nil {
		return
	}
	data, _ := m.env["data"].(map[string]any)
	m.Provider, _ = data["provider"].(string)
	if !slices.Contains(PersonalDataProviders, m.Provider) {
		return
	}
	// The body as the consumer reads it (events.Webhook: base64 in JSON).
	var w events.Webhook
	if raw, err := json.Marshal(data); err == nil && json.Unmarshal(raw, &w) == nil {
		m.ProviderEventID, m.ProviderEventType = providerEvent(w.Provider, w.BodyBase64)
	}
	m.Body, m.BodyRedacted = "", true
}

// providerEvent reads only the provider's event id and type from a webhook body; a body
// it cannot read gives none (never an error quoting the body).
func providerEvent(provider string, body []byte) (id, typ string) {
	switch provider {
	case "persona": // JSON:API: data.id, data.attributes.name
		var p struct {
			Data struct {
				ID         string `json:"id"`
				Attributes struct {
					Name string `json:"name"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &p) == nil {
			return p.Data.ID, p.Data.Attributes.Name
		}
	default: // Stripe and Checkr: top-level id and type
		var p struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if json.Unmarshal(body, &p) == nil {
			return p.ID, p.Type
		}
	}
	return "", ""
}

// RevealBody puts a redacted message's raw body back into Body. Only the audited
// --unsafe-show-body path calls it, after the audit record is written.
func (m *Message) RevealBody() {
	if m.BodyRedacted {
		m.Body, m.BodyRedacted = m.raw, false
	}
}

// RevealAudit is an audited look at redacted bodies: who asked, as which OS user, why.
type RevealAudit struct {
	Actor, OSUser, Reason string
}

// AuditReveal records, before anything is shown, that the redacted bodies among ms are
// about to be shown: one ops_action (dlq_show_body: who, when, why, which DLQ) and one
// ops_action_item per message, then one structured log line with the same facts (for a
// log pipeline that alerts on it). The table is the durable record: the same audit as
// replays and purges, kept RETAIN_OPS_ACTIONS and shown by `pipelinectl trace EVENT_ID`.
// It returns the audit id, "" when no message is redacted (nothing to audit). An error
// means nothing may be shown.
func (c *Client) AuditReveal(ctx context.Context, dlqURL string, a RevealAudit, ms []*Message) (string, error) {
	var shown []*Message
	for _, m := range ms {
		if m.BodyRedacted {
			shown = append(shown, m)
		}
	}
	if len(shown) == 0 {
		return "", nil
	}
	if strings.TrimSpace(a.Reason) == "" || strings.TrimSpace(a.Actor) == "" {
		return "", errors.New("showing personal data needs a reason and an actor: it is on the record")
	}
	id := NewActionID("shw")
	actor := a.Actor
	if a.OSUser != "" && a.OSUser != a.Actor {
		actor += " (os user " + a.OSUser + ")"
	}
	if err := store.StartOpsAction(ctx, c.Pool, store.OpsAction{ActionID: id, Action: "dlq_show_body", Actor: actor,
		Reason: a.Reason, Queue: QueueName(dlqURL)}); err != nil {
		return "", err
	}
	ids := make([]string, 0, len(shown))
	for _, m := range shown {
		if err := store.RecordOpsItem(ctx, c.Pool, store.OpsItem{ActionID: id, ItemID: m.MessageID, EventID: m.EventID, EventType: m.Type}); err != nil {
			return "", err
		}
		ids = append(ids, m.MessageID)
	}
	if err := store.FinishOpsAction(ctx, c.Pool, id); err != nil {
		return "", err
	}
	c.Audit.Warn().Str("audit_id", id).Str("action", "dlq_show_body").Str("actor", a.Actor).Str("os_user", a.OSUser).
		Str("queue", QueueName(dlqURL)).Strs("message_ids", ids).Str("reason", a.Reason).
		Msg("personal data shown: raw bodies of dead-lettered identity webhooks")
	return id, nil
}
