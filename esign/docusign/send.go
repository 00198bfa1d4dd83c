package docusign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"trustdocs/esign"
)

const (
	// findWindow is how far back the custom-field search looks: DocuSign requires a
	// from_date on it, and a document is sent within days of being issued.
	findWindow = 30 * 24 * time.Hour
	// DocuSign's limits on emailSubject and on a custom field's value.
	maxSubject     = 100
	maxCustomField = 100
)

// connectEvents are the Connect events an envelope reports to our receiver: the ones
// webhook.NormalizeDocuSign maps to evidence or envelope status.
var connectEvents = []string{
	"envelope-sent", "envelope-delivered", "envelope-completed", "envelope-declined", "envelope-voided",
	"recipient-sent", "recipient-delivered", "recipient-completed", "recipient-declined",
}

// Send creates the document's envelope, or returns the one it already has (see the
// package documentation for how it is found).
func (c *Client) Send(ctx context.Context, e esign.Envelope) (esign.Sent, error) {
	def, ids, err := c.definition(e)
	if err != nil {
		return esign.Sent{}, err
	}
	body, err := json.Marshal(def)
	if err != nil {
		return esign.Sent{}, fmt.Errorf("docusign send %s: %w", e.DocID, err)
	}
	var sent esign.Sent
	err = c.retry(ctx, "send", func() error {
		// Every attempt looks first: the previous one may have created the envelope and
		// lost the answer.
		found, ok, err := c.find(ctx, e.DocID)
		switch {
		case err != nil:
			return final{err} // find has retried on its own
		case ok:
			sent = found
			return nil
		}
		id, err := c.create(ctx, body)
		if err != nil {
			return err
		}
		sent = esign.Sent{EnvelopeID: id, RecipientIDs: ids}
		return nil
	})
	if err != nil {
		return esign.Sent{}, err // it names provider and operation; the caller knows the document
	}
	return sent, nil
}

// create posts the envelope once: only the caller, after a fresh find, may try again.
func (c *Client) create(ctx context.Context, body []byte) (string, error) {
	u, err := c.apiURL(ctx, "envelopes", nil)
	if err != nil {
		return "", final{err}
	}
	resp, err := c.authorized(ctx, request{op: "send", method: http.MethodPost, url: u, body: body, contentType: "application/json"})
	if err != nil {
		return "", err
	}
	// Created, but when the answer does not say which envelope, the next attempt's
	// find will: these errors are retried.
	var s envelopeSummary
	if err := json.Unmarshal(resp.body, &s); err != nil {
		return "", fmt.Errorf("docusign send: decoding the answer: %w", err)
	}
	if s.EnvelopeID == "" {
		return "", errors.New("docusign send: no envelopeId in the answer")
	}
	return s.EnvelopeID, nil
}

// find looks for the document's envelope: by transaction id (recent creates, even
// a moment ago), then by the doc_id custom field (the last 30 days).
func (c *Client) find(ctx context.Context, docID string) (esign.Sent, bool, error) {
	searches := []url.Values{
		{"transaction_ids": {docID}},
		{"from_date": {c.cfg.Now().Add(-findWindow).UTC().Format(time.RFC3339)}, "custom_field": {"doc_id=" + docID}},
	}
	for _, q := range searches {
		u, err := c.apiURL(ctx, "envelopes", q)
		if err != nil {
			return esign.Sent{}, false, err
		}
		var list envelopesInformation
		if _, err := c.call(ctx, request{op: "find", method: http.MethodGet, url: u}, &list); err != nil {
			return esign.Sent{}, false, err
		}
		found := list.Envelopes
		if len(found) == 0 {
			found = list.EnvelopeTransactionStatuses // a transaction id search may answer with these only
		}
		if env, ok := pick(found); ok {
			ids, err := c.recipientIDs(ctx, env.EnvelopeID)
			if err != nil {
				return esign.Sent{}, false, err
			}
			return esign.Sent{EnvelopeID: env.EnvelopeID, RecipientIDs: ids}, true, nil
		}
	}
	return esign.Sent{}, false, nil
}

// pick chooses the document's envelope among those found: one that is not voided
// before one that is, then the oldest.
func pick(envs []envelope) (envelope, bool) {
	envs = slices.DeleteFunc(envs, func(e envelope) bool { return e.EnvelopeID == "" })
	if len(envs) == 0 {
		return envelope{}, false
	}
	slices.SortStableFunc(envs, func(a, b envelope) int {
		if av, bv := strings.EqualFold(a.Status, "voided"), strings.EqualFold(b.Status, "voided"); av != bv {
			if av {
				return 1
			}
			return -1
		}
		return strings.Compare(a.CreatedDateTime, b.CreatedDateTime) // ISO 8601, all UTC
	})
	return envs[0], true
}

// recipientIDs maps roles to recipient ids of an envelope that exists already.
func (c *Client) recipientIDs(ctx context.Context, envelopeID string) (map[string]string, error) {
	u, err := c.apiURL(ctx, "envelopes/"+url.PathEscape(envelopeID)+"/recipients", nil)
	if err != nil {
		return nil, err
	}
	var r recipients
	if _, err := c.call(ctx, request{op: "find", method: http.MethodGet, url: u}, &r); err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, s := range r.Signers {
		if s.RoleName != "" {
			ids[s.RoleName] = s.RecipientID
		}
	}
	return ids, nil
}

// definition maps our envelope to DocuSign's envelopeDefinition, and returns the
// recipient id it gave each role. Its errors are esign.ErrInvalidEnvelope: an envelope
// DocuSign would refuse, or accept in a form we do not want (a signer without a
// signature field may sign anywhere).
func (c *Client) definition(e esign.Envelope) (envelopeDefinition, map[string]string, error) {
	var problems []string
	if e.DocID == "" {
		problems = append(problems, "no doc id")
	}
	if utf8.RuneCountInString(e.DocID) > maxCustomField || utf8.RuneCountInString(e.PackID) > maxCustomField {
		problems = append(problems, fmt.Sprintf("doc and pack ids must fit DocuSign's custom fields (%d characters)", maxCustomField))
	}
	if len(e.PDF) == 0 {
		problems = append(problems, "no PDF bytes")
	}
	if len(e.Recipients) == 0 {
		problems = append(problems, "no recipients")
	}
	recips := slices.Clone(e.Recipients)
	slices.SortStableFunc(recips, func(a, b esign.Recipient) int { return a.RoutingOrder - b.RoutingOrder })
	ids := map[string]string{}
	signers := make([]signer, 0, len(recips))
	for i, r := range recips {
		switch {
		case r.Role == "":
			problems = append(problems, fmt.Sprintf("recipient %d has no role", i+1))
		case ids[r.Role] != "":
			problems = append(problems, "role "+r.Role+" appears twice")
		case r.Email == "" || r.Name == "":
			problems = append(problems, "recipient "+r.Role+" needs a name and an email")
		case r.RoutingOrder < 1:
			problems = append(problems, fmt.Sprintf("recipient %s has routing order %d, want 1 or more", r.Role, r.RoutingOrder))
		}
		// The position in routing order, which is the routing order itself when orders
		// are 1..n; unlike the order, it stays unique when two signers sign in parallel.
		id := strconv.Itoa(i + 1)
		ids[r.Role] = id
		signers = append(signers, signer{RecipientID: id, RoutingOrder: strconv.Itoa(r.RoutingOrder),
			Name: r.Name, Email: r.Email, RoleName: r.Role, Tabs: &tabs{SignHereTabs: []signHere{}}})
	}
	for _, f := range e.Fields {
		i := slices.IndexFunc(recips, func(r esign.Recipient) bool { return r.Role == f.Role })
		if i < 0 {
			problems = append(problems, "a field is for role "+f.Role+", who is not a recipient")
			continue
		}
		if f.Page < 1 || f.X < 0 || f.Y < 0 {
			problems = append(problems, fmt.Sprintf("a field of %s is at page %d (%g, %g), off the document", f.Role, f.Page, f.X, f.Y))
			continue
		}
		s := &signers[i]
		s.Tabs.SignHereTabs = append(s.Tabs.SignHereTabs, signHere{
			DocumentID: "1", PageNumber: strconv.Itoa(f.Page),
			// Our points from the top-left are DocuSign's 72 DPI pixels from the top-left.
			XPosition: strconv.Itoa(int(math.Round(f.X))), YPosition: strconv.Itoa(int(math.Round(f.Y))),
			TabLabel: "sign_" + f.Role + "_" + strconv.Itoa(len(s.Tabs.SignHereTabs)+1),
		})
	}
	for _, s := range signers {
		if s.RoleName != "" && len(s.Tabs.SignHereTabs) == 0 {
			problems = append(problems, "recipient "+s.RoleName+" has no signature field")
		}
	}
	if len(problems) > 0 {
		return envelopeDefinition{}, nil, fmt.Errorf("docusign send %s: %w: %s", e.DocID, esign.ErrInvalidEnvelope, strings.Join(problems, "; "))
	}

	// Hidden (show "false"): they are for finding the envelope, not for the certificate.
	fields := []textCustomField{{Name: "doc_id", Value: e.DocID, Show: "false", Required: "false"}}
	if e.PackID != "" {
		fields = append(fields, textCustomField{Name: "pack_id", Value: e.PackID, Show: "false", Required: "false"})
	}
	title := e.Title
	if title == "" {
		title = e.DocID
	}
	return envelopeDefinition{
		Status:       "sent",
		EmailSubject: truncate(title, maxSubject),
		Documents: []document{{DocumentBase64: base64.StdEncoding.EncodeToString(e.PDF), DocumentID: "1",
			Name: title, FileExtension: "pdf"}},
		Recipients:    recipients{Signers: signers},
		CustomFields:  customFields{TextCustomFields: fields},
		TransactionID: e.DocID,
		EventNotification: eventNotification{
			URL: c.cfg.WebhookURL, IncludeHMAC: "true", RequireAcknowledgment: "true", LoggingEnabled: "true",
			IncludeEnvelopeVoidReason: "true", // the receiver tells an expiry from a void by the reason
			EventData:                 eventData{Version: "restv2.1", Format: "json", IncludeData: []string{"recipients", "custom_fields"}},
			Events:                    connectEvents,
		},
	}, ids, nil
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
