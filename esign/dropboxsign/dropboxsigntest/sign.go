package dropboxsigntest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// CallbackPath is where Sign posts callbacks, below the receiver URL it is given.
const CallbackPath = "/webhooks/dropboxsign"

// callbackAck is the body Dropbox Sign requires in the answer to a callback; any other
// answer counts as a failed delivery, to be retried.
const callbackAck = "Hello API Event Received"

// accountID is the account the stand-in reports events for.
const accountID = "dropboxsigntest0000000000000000000000000"

// The callback's `json` field: schema EventCallbackRequest.
type callbackJSON struct {
	Event            eventJSON            `json:"event"`
	SignatureRequest signatureRequestJSON `json:"signature_request"`
}

type eventJSON struct {
	EventTime     string            `json:"event_time"`
	EventType     string            `json:"event_type"`
	EventHash     string            `json:"event_hash"`
	EventMetadata eventMetadataJSON `json:"event_metadata"`
}

type eventMetadataJSON struct {
	RelatedSignatureID   *string `json:"related_signature_id"`
	ReportedForAccountID *string `json:"reported_for_account_id"`
	ReportedForAppID     *string `json:"reported_for_app_id"`
	EventMessage         *string `json:"event_message"`
}

// Sign plays the signers of request requestID in their order: for each,
// signature_request_viewed then signature_request_signed (event_metadata.related_
// signature_id naming the signer's signature), then signature_request_all_signed. Each
// event changes the request first, then is posted to receiverURL + CallbackPath the
// way Dropbox Sign posts callbacks: multipart/form-data, the event in the `json` field,
// event_hash = hex HMAC-SHA256 of event_time + event_type keyed by the API key. Every
// post must be answered 200 with "Hello API Event Received", as Dropbox Sign requires.
// After Sign, files serves the executed PDF.
func (s *Server) Sign(ctx context.Context, requestID, receiverURL string) error {
	s.mu.Lock()
	r := s.find(requestID)
	var n int
	var err error
	switch {
	case r == nil:
		err = fmt.Errorf("dropboxsigntest: no signature request %s", requestID)
	case r.Status != StatusAwaiting:
		err = fmt.Errorf("dropboxsigntest: signature request %s is %s, not awaiting signatures", requestID, r.Status)
	default:
		n = len(r.Signers)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	url := strings.TrimRight(receiverURL, "/") + CallbackPath
	for i := range n {
		for _, event := range []string{"signature_request_viewed", "signature_request_signed"} {
			if err := s.event(ctx, url, requestID, event, i); err != nil {
				return err
			}
		}
	}
	return s.event(ctx, url, requestID, "signature_request_all_signed", -1)
}

// event applies event to the request (signer is an index, or -1 for the request) and
// posts its callback.
func (s *Server) event(ctx context.Context, url, requestID, event string, signer int) error {
	now := s.now()
	s.mu.Lock()
	r := s.find(requestID)
	var related *string
	switch {
	case signer >= 0:
		sg := &r.Signers[signer]
		related = &sg.SignatureID
		if event == "signature_request_viewed" {
			sg.ViewedAt = now
		} else {
			sg.Status, sg.SignedAt = "signed", now
		}
	case event == "signature_request_all_signed":
		r.Status = StatusComplete
	}
	account := accountID
	cb := callbackJSON{SignatureRequest: r.toJSON(s.URL()), Event: eventJSON{
		EventTime: strconv.FormatInt(now.Unix(), 10), EventType: event,
		EventMetadata: eventMetadataJSON{RelatedSignatureID: related, ReportedForAccountID: &account},
	}}
	s.mu.Unlock()
	cb.Event.EventHash = eventHash(s.apiKey, cb.Event.EventTime, event)
	js, err := json.Marshal(cb)
	if err != nil {
		return err
	}
	s.checkCallback(js)
	return s.post(ctx, url, event, js)
}

// eventHash is Dropbox Sign's event_hash, computed here independently of the receiver's
// code so that a test of the two together checks something.
func eventHash(apiKey, eventTime, eventType string) string {
	m := hmac.New(sha256.New, []byte(apiKey))
	m.Write([]byte(eventTime + eventType))
	return hex.EncodeToString(m.Sum(nil))
}

// checkCallback holds the stand-in's callbacks to the document's EventCallbackRequest.
func (s *Server) checkCallback(js []byte) {
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		s.t.Errorf("dropboxsigntest: callback: %v", err)
		return
	}
	if err := s.spec.schema("EventCallbackRequest").VisitJSON(v, schemaOptions...); err != nil {
		s.t.Errorf("dropboxsigntest: the stand-in's callback violates EventCallbackRequest: %v", err)
	}
}

func (s *Server) post(ctx context.Context, url, event string, js []byte) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("json", string(js)); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("dropboxsigntest: post %s: %w", event, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return fmt.Errorf("dropboxsigntest: post %s: %w", event, err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(callbackAck)) {
		return errors.New("dropboxsigntest: " + event + ": the receiver answered " + resp.Status + " " + strconv.Quote(string(body)) +
			"; Dropbox Sign counts a delivery only when answered 200 with " + strconv.Quote(callbackAck))
	}
	return nil
}
