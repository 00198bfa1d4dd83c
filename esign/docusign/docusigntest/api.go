package docusigntest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dsTime is how DocuSign writes times: UTC, seven fractional digits.
const dsTime = "2006-01-02T15:04:05.0000000Z"

// transactionLife is how long DocuSign keeps an envelope's transactionId.
const transactionLife = 7 * 24 * time.Hour

// handleAPI serves the eSignature API: every request is checked against the document
// first (an invalid one fails the test and gets DocuSign's 400), then authenticated.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := readBody(r)
	if err != nil {
		s.write(w, apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", err.Error()))
		return
	}
	route, params, err := findRoute(r)
	if err != nil {
		s.reject(err)
		s.write(w, apiError(http.StatusNotFound, "RESOURCE_NOT_FOUND", err.Error()))
		return
	}
	op := opByOperationID[route.Operation.OperationID]
	if op == "" {
		s.t.Errorf("docusigntest: %s is in the document but the stand-in does not serve it", route.Operation.OperationID)
		s.write(w, apiError(http.StatusNotImplemented, "NOT_IMPLEMENTED", route.Operation.OperationID))
		return
	}
	s.count(op)
	v, err := validateRequest(ctx, r, body, route, params)
	if err != nil {
		s.reject(err)
		s.write(w, apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", err.Error()))
		return
	}
	if !s.validToken(bearer(r)) {
		s.write(w, apiError(http.StatusUnauthorized, "USER_AUTHENTICATION_FAILED", "One or both of Username and Password are invalid. Invalid access token"))
		return
	}
	if params["accountId"] != s.accountID {
		s.reject(fmt.Errorf("%s: account %s is not the token's (%s)", route.Operation.OperationID, params["accountId"], s.accountID))
		s.write(w, apiError(http.StatusBadRequest, "USER_LACKS_MEMBERSHIP", "The UserID does not have a valid membership in this Account."))
		return
	}
	if f, ok := s.faults.Take(op); ok {
		s.write(w, faultAnswer(f))
		return
	}
	a := s.serve(op, r, params, body)
	if err := v.validateAnswer(ctx, a); err != nil {
		s.t.Errorf("docusigntest: the stand-in's own answer breaks the document: %v", err)
	}
	s.write(w, a)
}

func (s *Server) count(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
}

// reject records a request that breaks the document, failing the test unless
// RecordInvalid was given.
func (s *Server) reject(err error) {
	s.mu.Lock()
	s.rejected = append(s.rejected, err.Error())
	s.mu.Unlock()
	if !s.recordInvalid {
		s.t.Errorf("docusigntest: request refused by the eSignature document: %v", err)
	}
}

func (s *Server) serve(op string, r *http.Request, params map[string]string, body []byte) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op == OpCreate {
		return s.create(body)
	}
	if op == OpList {
		return s.list(r.URL.Query())
	}
	e, ok := s.envelopes[params["envelopeId"]]
	if !ok {
		return apiError(http.StatusNotFound, "ENVELOPE_DOES_NOT_EXIST", "The envelope specified either does not exist or you have no access to it.")
	}
	switch op {
	case OpGet:
		return jsonAnswer(http.StatusOK, s.envelopeJSON(e))
	case OpRecipients:
		return jsonAnswer(http.StatusOK, recipientsJSON(e))
	case OpUpdate:
		return s.update(e, body)
	case OpDocument:
		return s.document(e, params["documentId"], r.URL.Query())
	}
	return apiError(http.StatusNotImplemented, "NOT_IMPLEMENTED", op)
}

// create stores an envelope. Beyond the document's types, it checks what DocuSign
// refuses at run time: a sent envelope needs a subject, a document and signers with
// unique recipient ids, and tabs on a document that exists.
func (s *Server) create(body []byte) answer {
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", err.Error())
	}
	if e.Status != "sent" && e.Status != "created" {
		return apiError(http.StatusBadRequest, "INVALID_ENVELOPE_STATUS", "status must be sent or created, not "+strconv.Quote(e.Status))
	}
	if e.Status == "sent" && e.EmailSubject == "" {
		return apiError(http.StatusBadRequest, "INVALID_EMAIL_SUBJECT", "An email subject is required to send an envelope.")
	}
	docs := map[string]bool{}
	for _, d := range e.Documents {
		if _, err := base64.StdEncoding.DecodeString(d.DocumentBase64); err != nil || d.DocumentBase64 == "" || d.DocumentID == "" {
			return apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", "document "+d.DocumentID+" has no id or no base64 content")
		}
		docs[d.DocumentID] = true
	}
	if len(docs) == 0 {
		return apiError(http.StatusBadRequest, "ENVELOPE_HAS_NO_DOCUMENTS", "An envelope must contain at least one document.")
	}
	ids := map[string]bool{}
	for _, sg := range e.Recipients.Signers {
		if sg.RecipientID == "" || ids[sg.RecipientID] {
			return apiError(http.StatusBadRequest, "INVALID_RECIPIENT_ID", "recipientId "+strconv.Quote(sg.RecipientID)+" is empty or not unique")
		}
		ids[sg.RecipientID] = true
		if sg.Tabs != nil {
			for _, t := range sg.Tabs.SignHereTabs {
				if !docs[t.DocumentID] {
					return apiError(http.StatusBadRequest, "TAB_REFERS_TO_MISSING_DOCUMENT", "a tab of recipient "+sg.RecipientID+" is on document "+t.DocumentID)
				}
			}
		}
	}
	if len(ids) == 0 && e.Status == "sent" {
		return apiError(http.StatusBadRequest, "ENVELOPE_HAS_NO_RECIPIENTS", "An envelope must have at least one recipient to be sent.")
	}
	e.EnvelopeID, e.Created = newID(), s.now()
	for i := range e.Recipients.Signers {
		e.Recipients.Signers[i].Status = "created"
	}
	if e.Status == "sent" {
		s.route(&e)
	}
	s.envelopes[e.EnvelopeID] = &e
	s.order = append(s.order, e.EnvelopeID)
	s.created++
	if s.loseCreate > 0 {
		s.loseCreate--
		return answer{drop: true}
	}
	return jsonAnswer(http.StatusCreated, map[string]string{
		"envelopeId": e.EnvelopeID, "status": e.Status, "statusDateTime": e.Created.UTC().Format(dsTime),
		"uri": "/envelopes/" + e.EnvelopeID,
	})
}

// route marks the signers whose turn it is (the lowest routing order not completed)
// as sent.
func (s *Server) route(e *Envelope) {
	next := -1
	for _, sg := range e.Recipients.Signers {
		if o, _ := strconv.Atoi(sg.RoutingOrder); sg.Status != "completed" && (next < 0 || o < next) {
			next = o
		}
	}
	for i, sg := range e.Recipients.Signers {
		if o, _ := strconv.Atoi(sg.RoutingOrder); o == next && sg.Status == "created" {
			e.Recipients.Signers[i].Status = "sent"
		}
	}
}

// list is the envelope search: from_date (required unless envelope or transaction ids
// are given), transaction_ids (only those set in the last 7 days), envelope_ids,
// custom_field (name=value) and status.
func (s *Server) list(q url.Values) answer {
	var from time.Time
	if v := q.Get("from_date"); v != "" {
		t, err := parseDate(v)
		if err != nil {
			return apiError(http.StatusBadRequest, "INVALID_REQUEST_PARAMETER", "from_date "+strconv.Quote(v)+" is not a date")
		}
		from = t
	} else if q.Get("envelope_ids") == "" && q.Get("transaction_ids") == "" {
		return apiError(http.StatusBadRequest, "INVALID_REQUEST_PARAMETER", "The request contained at least one invalid parameter. from_date, envelope_ids or transaction_ids must be set.")
	}
	split := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	txIDs, envIDs, statuses := split(q.Get("transaction_ids")), split(q.Get("envelope_ids")), split(q.Get("status"))
	cfName, cfValue, hasCF := strings.Cut(q.Get("custom_field"), "=")
	if q.Get("custom_field") != "" && !hasCF {
		return apiError(http.StatusBadRequest, "INVALID_REQUEST_PARAMETER", "custom_field must be name=value")
	}
	now := s.now()
	envs, txs := []map[string]any{}, []map[string]string{}
	for _, id := range s.order {
		e := s.envelopes[id]
		switch {
		case !from.IsZero() && e.Created.Before(from):
		case txIDs != nil && (!slices.Contains(txIDs, e.TransactionID) || now.Sub(e.Created) > transactionLife):
		case envIDs != nil && !slices.Contains(envIDs, e.EnvelopeID):
		case hasCF && e.CustomField(cfName) != cfValue:
		case statuses != nil && !slices.Contains(statuses, e.Status):
		default:
			envs = append(envs, s.envelopeJSON(e))
			if txIDs != nil {
				txs = append(txs, map[string]string{"envelopeId": e.EnvelopeID, "status": e.Status, "transactionId": e.TransactionID})
			}
		}
	}
	out := map[string]any{
		"resultSetSize": strconv.Itoa(len(envs)), "totalSetSize": strconv.Itoa(len(envs)),
		"startPosition": "0", "endPosition": strconv.Itoa(max(len(envs)-1, 0)),
		"envelopes": envs,
	}
	if txIDs != nil {
		out["envelopeTransactionStatuses"] = txs
	}
	return jsonAnswer(http.StatusOK, out)
}

// parseDate reads the dates DocuSign's examples use: ISO 8601 with or without a time.
func parseDate(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", v)
}

// update is PUT envelopes/{id}; the stand-in only voids.
func (s *Server) update(e *Envelope, body []byte) answer {
	var req struct {
		Status       string `json:"status"`
		VoidedReason string `json:"voidedReason"` //nolint:tagliatelle // DocuSign's own field name
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", err.Error())
	}
	if req.Status != "voided" {
		return apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", "the stand-in only voids envelopes (status voided)")
	}
	if req.VoidedReason == "" {
		return apiError(http.StatusBadRequest, "INVALID_REQUEST_BODY", "A voided reason is required to void an envelope.")
	}
	switch e.Status {
	case "sent", "delivered", "created":
	default:
		return apiError(http.StatusBadRequest, "ENVELOPE_CANNOT_VOID_INVALID_STATE", "Only envelopes in the 'Sent' or 'Delivered' states may be voided.")
	}
	e.Status, e.VoidedReason, e.Voided = "voided", req.VoidedReason, s.now()
	return jsonAnswer(http.StatusOK, map[string]string{"envelopeId": e.EnvelopeID})
}

// document serves documents/{documentId}: "combined" (every document, then the
// certificate unless certificate=false), "certificate", or a document by id. A
// completed envelope's documents carry the signatures: SignedMarker appended.
func (s *Server) document(e *Envelope, id string, q url.Values) answer {
	signed := func(pdf []byte) []byte {
		if e.Status == "completed" {
			return append(pdf, SignedMarker(e.EnvelopeID)...)
		}
		return pdf
	}
	var b []byte
	switch id {
	case "combined":
		b = signed(e.PDF())
		if q.Get("certificate") != "false" {
			b = append(b, Certificate(e.EnvelopeID)...)
		}
	case "certificate":
		b = Certificate(e.EnvelopeID)
	default:
		i := slices.IndexFunc(e.Documents, func(d Document) bool { return d.DocumentID == id })
		if i < 0 {
			return apiError(http.StatusNotFound, "DOCUMENT_DOES_NOT_EXIST", "The document specified was not found.")
		}
		raw, _ := base64.StdEncoding.DecodeString(e.Documents[i].DocumentBase64)
		b = signed(raw)
	}
	return answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/pdf"}}, body: b}
}

// envelopeJSON is an envelope as GET envelopes/{id} shows it.
func (s *Server) envelopeJSON(e *Envelope) map[string]any {
	out := map[string]any{
		"envelopeId": e.EnvelopeID, "status": e.Status, "emailSubject": e.EmailSubject,
		"createdDateTime": e.Created.UTC().Format(dsTime), "statusChangedDateTime": e.changed().UTC().Format(dsTime),
		"envelopeUri": "/envelopes/" + e.EnvelopeID,
	}
	if len(e.CustomFields.TextCustomFields) > 0 {
		out["customFields"] = e.CustomFields
	}
	if e.TransactionID != "" {
		out["transactionId"] = e.TransactionID
	}
	if !e.Completed.IsZero() {
		out["completedDateTime"] = e.Completed.UTC().Format(dsTime)
	}
	if !e.Voided.IsZero() {
		out["voidedDateTime"], out["voidedReason"] = e.Voided.UTC().Format(dsTime), e.VoidedReason
	}
	return out
}

func (e *Envelope) changed() time.Time {
	t := e.Created
	for _, u := range []time.Time{e.Completed, e.Voided} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// recipientsJSON is GET envelopes/{id}/recipients: the signers without their tabs.
func recipientsJSON(e *Envelope) map[string]any {
	signers := make([]Signer, 0, len(e.Recipients.Signers))
	current := ""
	for _, sg := range e.Recipients.Signers {
		sg.Tabs = nil
		signers = append(signers, sg)
		if sg.Status == "sent" || sg.Status == "delivered" {
			current = sg.RoutingOrder
		}
	}
	return map[string]any{"signers": signers, "recipientCount": strconv.Itoa(len(signers)), "currentRoutingOrder": current}
}
