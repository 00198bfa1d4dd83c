package dropboxsign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"trustdocs/apierror"
	"trustdocs/esign"
)

// Executed downloads the signed PDF of a completed request: one merged PDF with Dropbox
// Sign's audit trail appended (it issues no separate certificate, so Certificate stays
// nil). While Dropbox Sign is still preparing the file it answers 409: ErrNotReady,
// counted as an "ok" outcome, since the provider answered as designed.
func (c *Client) Executed(ctx context.Context, envelopeID string) (esign.Executed, error) {
	if envelopeID == "" {
		return esign.Executed{}, errors.New(providerName + " executed: no envelope id")
	}
	rep, err := c.call(ctx, request{op: "executed", method: http.MethodGet,
		path:  "/signature_request/files/" + url.PathEscape(envelopeID),
		query: url.Values{"file_type": {"pdf"}}, maxBody: maxFileBody,
		handled: func(r apierror.Reply) bool { return r.Status == http.StatusConflict }})
	switch {
	case err != nil:
		return esign.Executed{}, fmt.Errorf("executed %s: %w", envelopeID, err)
	case rep.Status == http.StatusConflict:
		return esign.Executed{}, fmt.Errorf("%s executed %s: %w", providerName, envelopeID, esign.ErrNotReady)
	case !bytes.HasPrefix(rep.Body, []byte("%PDF-")):
		return esign.Executed{}, fmt.Errorf("%s executed %s: the answer is not a PDF (Content-Type %q)", providerName, envelopeID, rep.Header.Get("Content-Type"))
	}
	return esign.Executed{Signed: rep.Body}, nil
}
