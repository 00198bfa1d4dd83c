package dropboxsign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"trustdocs/apierror"
)

// Void cancels the signature request. Dropbox Sign's cancel takes no reason (ours stays
// in our own evidence) and is asynchronous: its empty 200 means the cancel is queued,
// and the signature_request_canceled callback confirms it. A request that cannot be
// cancelled any more (already cancelled, completed, declined) answers 409 or 410, or a
// 400 whose error says so: nothing is left to void, which is success here.
func (c *Client) Void(ctx context.Context, envelopeID, _ string) error {
	if envelopeID == "" {
		return errors.New(providerName + " void: no envelope id")
	}
	_, err := c.call(ctx, request{op: "void", method: http.MethodPost,
		path: "/signature_request/cancel/" + url.PathEscape(envelopeID), handled: cancelEnded})
	if err != nil {
		return fmt.Errorf("void %s: %w", envelopeID, err)
	}
	return nil
}

// cancelEnded reports a cancel refused because the request has already ended. The API
// document does not list the 400's error_name, so both the name and the message are
// read, narrowly: a 400 that is about something else stays an error.
func cancelEnded(rep apierror.Reply) bool {
	switch rep.Status {
	case http.StatusConflict, http.StatusGone:
		return true
	case http.StatusBadRequest:
		e, ok := decodeError(rep.Body)
		if !ok {
			return false
		}
		name, msg := strings.ToLower(e.ErrorName), strings.ToLower(e.ErrorMsg)
		if strings.Contains(name, "cancel") {
			return true // signature_request_cancel_failed and the like
		}
		return strings.Contains(msg, "cancel") &&
			(strings.Contains(msg, "already") || strings.Contains(msg, "cannot") || strings.Contains(msg, "not eligible"))
	}
	return false
}
