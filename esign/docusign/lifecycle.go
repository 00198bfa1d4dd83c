package docusign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"trustdocs/esign"
)

// Void voids an envelope. One already voided, completed or declined is left as it is.
// Its status is read first, because DocuSign answers a void it cannot do with a 400
// whose code the document does not name (ENVELOPE_CANNOT_VOID_INVALID_STATE, in
// practice), and read again after such a 400, for an envelope that ended meanwhile.
func (c *Client) Void(ctx context.Context, envelopeID, reason string) error {
	if envelopeID == "" {
		return fmt.Errorf("docusign void: %w: no envelope id", esign.ErrInvalidEnvelope)
	}
	if status, err := c.status(ctx, "void", envelopeID); err != nil {
		return err
	} else if ended(status) {
		return nil
	}
	if strings.TrimSpace(reason) == "" {
		reason = "voided" // DocuSign requires a reason
	}
	body, err := json.Marshal(voidRequest{Status: "voided", VoidedReason: reason})
	if err != nil {
		return fmt.Errorf("docusign void: %w", err)
	}
	u, err := c.apiURL(ctx, "envelopes/"+url.PathEscape(envelopeID), nil)
	if err != nil {
		return err
	}
	_, err = c.call(ctx, request{op: "void", method: http.MethodPut, url: u, body: body, contentType: "application/json"}, nil)
	if err == nil {
		return nil
	}
	var pe *esign.Error
	if errors.As(err, &pe) && pe.Status == http.StatusBadRequest {
		if status, serr := c.status(ctx, "void", envelopeID); serr == nil && ended(status) {
			return nil
		}
	}
	return err
}

// Executed downloads a completed envelope's signed documents (combined into one PDF,
// without the certificate) and its certificate of completion.
func (c *Client) Executed(ctx context.Context, envelopeID string) (esign.Executed, error) {
	if envelopeID == "" {
		return esign.Executed{}, fmt.Errorf("docusign executed: %w: no envelope id", esign.ErrInvalidEnvelope)
	}
	status, err := c.status(ctx, "executed", envelopeID)
	if err != nil {
		return esign.Executed{}, err
	}
	switch {
	case strings.EqualFold(status, "completed"):
	case ended(status):
		// No HTTP status of DocuSign's: ours, 410 Gone, so that the error is permanent;
		// a voided or declined envelope never gets an executed copy.
		return esign.Executed{}, &esign.Error{Provider: "docusign", Op: "executed", Status: http.StatusGone,
			Message: fmt.Sprintf("envelope %s is %s: it has no executed copy", envelopeID, status)}
	default:
		return esign.Executed{}, fmt.Errorf("docusign executed %s: envelope is %s: %w", envelopeID, status, esign.ErrNotReady)
	}
	// combined holds the certificate too unless told otherwise; it comes on its own.
	signed, err := c.document(ctx, envelopeID, "combined", url.Values{"certificate": {"false"}})
	if err != nil {
		return esign.Executed{}, err
	}
	cert, err := c.document(ctx, envelopeID, "certificate", nil)
	if err != nil {
		return esign.Executed{}, err
	}
	return esign.Executed{Signed: signed, Certificate: cert}, nil
}

func (c *Client) document(ctx context.Context, envelopeID, documentID string, q url.Values) ([]byte, error) {
	u, err := c.apiURL(ctx, "envelopes/"+url.PathEscape(envelopeID)+"/documents/"+documentID, q)
	if err != nil {
		return nil, err
	}
	resp, err := c.call(ctx, request{op: "executed", method: http.MethodGet, url: u, accept: "application/pdf"}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w (downloading %s)", err, documentID)
	}
	return resp.body, nil
}

// status reads an envelope's status: created, sent, delivered, signed, completed,
// declined, voided...
func (c *Client) status(ctx context.Context, op, envelopeID string) (string, error) {
	u, err := c.apiURL(ctx, "envelopes/"+url.PathEscape(envelopeID), nil)
	if err != nil {
		return "", err
	}
	var e envelope
	if _, err := c.call(ctx, request{op: op, method: http.MethodGet, url: u}, &e); err != nil {
		return "", err
	}
	return e.Status, nil
}

// ended reports whether an envelope is in a final state other than being in progress.
func ended(status string) bool {
	switch strings.ToLower(status) {
	case "voided", "completed", "declined":
		return true
	}
	return false
}
