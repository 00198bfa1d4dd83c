package docusigntest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
)

// connectConfigurationID is the Connect configuration the messages name (an
// envelope's own eventNotification has none of the account's; DocuSign still sends a
// number).
const connectConfigurationID = 10001

// Sign plays the envelope's signers: for each, in routing order, it posts
// recipient-delivered then recipient-completed to the envelope's eventNotification url,
// then envelope-completed, as DocuSign Connect JSON SIM messages signed with secret
// (X-DocuSign-Signature-1, base64 HMAC-SHA256 of the body). Only the events the envelope
// asked for are posted; every post must be acknowledged with a 2xx. The envelope is then
// completed: its documents carry SignedMarker, and the certificate is served.
func (s *Server) Sign(ctx context.Context, envelopeID, secret string) error {
	s.mu.Lock()
	e, ok := s.envelopes[envelopeID]
	var err error
	switch {
	case !ok:
		err = fmt.Errorf("docusigntest: no envelope %s", envelopeID)
	case e.Status != "sent" && e.Status != "delivered":
		err = fmt.Errorf("docusigntest: envelope %s is %s, not out for signature", envelopeID, e.Status)
	case e.EventNotification == nil || e.EventNotification.URL == "":
		err = fmt.Errorf("docusigntest: envelope %s has no eventNotification url", envelopeID)
	case e.EventNotification.EventData.Version != "restv2.1" || e.EventNotification.EventData.Format != "json":
		err = fmt.Errorf("docusigntest: envelope %s asks for Connect %q/%q; the stand-in (and our receiver) speak JSON SIM only (restv2.1/json)",
			envelopeID, e.EventNotification.EventData.Version, e.EventNotification.EventData.Format)
	}
	var order []Signer
	if err == nil {
		order = slices.Clone(e.Recipients.Signers)
		slices.SortStableFunc(order, func(a, b Signer) int {
			x, _ := strconv.Atoi(a.RoutingOrder)
			y, _ := strconv.Atoi(b.RoutingOrder)
			return x - y
		})
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, sg := range order {
		for _, step := range [][2]string{{"recipient-delivered", "delivered"}, {"recipient-completed", "completed"}} {
			if err := s.notify(ctx, envelopeID, sg.RecipientID, step[0], step[1], secret); err != nil {
				return err
			}
		}
	}
	return s.notify(ctx, envelopeID, "", "envelope-completed", "completed", secret)
}

// notify moves the envelope (recipientID "") or one of its signers to status, then
// posts event about it, if the envelope asked for it.
func (s *Server) notify(ctx context.Context, envelopeID, recipientID, event, status, secret string) error {
	s.mu.Lock()
	e := s.envelopes[envelopeID]
	now := s.now()
	if recipientID == "" {
		e.Status = status
		if status == "completed" {
			e.Completed = now
		}
	} else {
		for i := range e.Recipients.Signers {
			if e.Recipients.Signers[i].RecipientID == recipientID {
				e.Recipients.Signers[i].Status = status
			}
		}
		s.route(e)
	}
	en := *e.EventNotification
	body, err := json.Marshal(s.connectMessage(e, event, recipientID))
	s.mu.Unlock()
	if err != nil || !slices.Contains(en.Events, event) {
		return err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, en.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if en.IncludeHMAC == "true" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		req.Header.Set("X-DocuSign-Signature-1", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	resp, err := s.webhooks.Do(req)
	if err != nil {
		return fmt.Errorf("docusigntest: posting %s of %s: %w", event, envelopeID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("docusigntest: %s of %s: the receiver answered %s", event, envelopeID, resp.Status)
	}
	return nil
}

// connectMessage is a Connect JSON SIM message about e, shaped like DocuSign's example
// (testdata/connect.schema-v2.json); envelopeSummary carries the recipients and custom
// fields when the envelope's eventData.includeData asks for them.
func (s *Server) connectMessage(e *Envelope, event, recipientID string) map[string]any {
	id := e.EnvelopeID
	summary := map[string]any{
		"envelopeId": id, "status": e.Status, "emailSubject": e.EmailSubject,
		"envelopeUri": "/envelopes/" + id, "recipientsUri": "/envelopes/" + id + "/recipients",
		"documentsUri": "/envelopes/" + id + "/documents", "customFieldsUri": "/envelopes/" + id + "/custom_fields",
		"createdDateTime": e.Created.UTC().Format(dsTime), "statusChangedDateTime": e.changed().UTC().Format(dsTime),
	}
	if e.TransactionID != "" {
		summary["transactionId"] = e.TransactionID
	}
	if !e.Completed.IsZero() {
		summary["completedDateTime"] = e.Completed.UTC().Format(dsTime)
	}
	if !e.Voided.IsZero() && e.EventNotification.IncludeEnvelopeVoidReason == "true" {
		summary["voidedDateTime"], summary["voidedReason"] = e.Voided.UTC().Format(dsTime), e.VoidedReason
	}
	include := e.EventNotification.EventData.IncludeData
	if slices.Contains(include, "recipients") {
		summary["recipients"] = recipientsJSON(e)
	}
	if slices.Contains(include, "custom_fields") {
		fields := []map[string]string{}
		for i, f := range e.CustomFields.TextCustomFields {
			fields = append(fields, map[string]string{"fieldId": strconv.Itoa(i + 1), "name": f.Name, "value": f.Value,
				"show": f.Show, "required": f.Required})
		}
		summary["customFields"] = map[string]any{"textCustomFields": fields}
	}
	return map[string]any{
		"event": event, "apiVersion": "v2.1", "uri": "/restapi/v2.1/accounts/" + s.accountID + "/envelopes/" + id,
		"retryCount": 0, "configurationId": connectConfigurationID, "generatedDateTime": s.now().UTC().Format(dsTime),
		"data": map[string]any{
			"accountId": s.accountID, "userId": s.userID, "envelopeId": id, "recipientId": recipientID,
			"envelopeSummary": summary,
		},
	}
}

// SignedMarker is what the stand-in appends to a completed envelope's documents: its
// "signatures".
func SignedMarker(envelopeID string) []byte {
	return []byte("\n%% signed at the docusigntest stand-in, envelope " + envelopeID + "\n")
}
