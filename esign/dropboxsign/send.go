package dropboxsign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"trustdocs/apierror"
	"trustdocs/esign"
)

const (
	// settleSearches is how many times a search looks for a request that a create with
	// a lost answer may have made; the backoff between (about 1, 2, 4, 8 s) gives Dropbox
	// Sign's search index, which shows new requests "after a minor delay", time to catch
	// up.
	settleSearches = 5
	// searchPageSize is the API's largest page; one document has one request, so more
	// pages only come from a full-text match on other documents' metadata.
	searchPageSize = 100
	maxSearchPages = 5
)

// Send creates the signature request of e, or returns the one that exists already for
// e.DocID: it searches before it creates, and retries a failed create only after a fresh
// search (see the package doc).
func (c *Client) Send(ctx context.Context, e esign.Envelope) (esign.Sent, error) {
	form, err := newSendForm(e, c.cfg.TestMode)
	if err != nil {
		return esign.Sent{}, fmt.Errorf("%s send: %w: %w", providerName, esign.ErrInvalidEnvelope, err)
	}
	maybeCreated := false // a create whose answer did not arrive may have made the request
	for attempt := 1; ; attempt++ {
		sr, err := c.find(ctx, e.DocID, maybeCreated)
		if err == nil && sr == nil {
			sr, err = c.create(ctx, form)
		}
		if err == nil {
			sent, err := sentOf(*sr, form.signers)
			c.retry.Outcome("send", outcome(err))
			return sent, err
		}
		var perr *esign.Error
		if !errors.As(err, &perr) || ctx.Err() != nil || perr.Permanent() || perr.Op != "send" || attempt >= c.retry.MaxAttempts {
			// A failed search has had its own retries; a failed create has had its last.
			c.retry.Outcome("send", outcome(err))
			return esign.Sent{}, err
		}
		if perr.Status == 0 || perr.Status >= 500 || perr.Status == http.StatusRequestTimeout {
			maybeCreated = true // a 429 refused the create; these may not have
		}
		if err := c.retry.Pause(ctx, attempt, perr); err != nil {
			c.retry.Outcome("send", "failed")
			return esign.Sent{}, err
		}
		c.retry.Outcome("send", "retried")
	}
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case esign.IsPermanent(err):
		return "permanent"
	}
	return "failed"
}

// create posts the form once: whether to post again is Send's decision, after a search.
func (c *Client) create(ctx context.Context, form sendForm) (*signatureRequest, error) {
	r := request{op: "send", method: http.MethodPost, path: "/signature_request/send", contentType: form.contentType, body: form.body}
	rep, err := c.once(ctx, r)
	if err != nil && (ctx.Err() != nil || errors.Is(err, apierror.ErrTooLarge)) {
		return nil, fmt.Errorf("%s send: %w", providerName, err)
	}
	if err != nil || !rep.OK() {
		return nil, c.failure(r.op, rep, err)
	}
	var gr getResponse
	if err := json.Unmarshal(rep.Body, &gr); err != nil || gr.SignatureRequest.SignatureRequestID == "" {
		// Created, most likely, with an answer we cannot read: the next search finds it.
		return nil, &esign.Error{Provider: providerName, Op: r.op, Message: fmt.Sprintf("unreadable send answer (HTTP %d)", rep.Status)}
	}
	return &gr.SignatureRequest, nil
}

// find returns the oldest signature request whose metadata.doc_id is docID, or nil.
// patient: a create may just have made one, so an empty result is asked again, with
// backoff, up to settleSearches times.
func (c *Client) find(ctx context.Context, docID string, patient bool) (*signatureRequest, error) {
	tries := 1
	if patient {
		tries = settleSearches
	}
	for i := 1; ; i++ {
		sr, err := c.search(ctx, docID)
		if err != nil || sr != nil || i >= tries {
			return sr, err
		}
		if err := c.retry.Sleep(ctx, c.retry.Backoff(i)); err != nil {
			c.retry.Outcome("find", "failed")
			return nil, fmt.Errorf("%s find: waiting for the search index: %w", providerName, err)
		}
	}
}

// search lists the requests matching metadata:docID and keeps the exact matches: the
// query is a full-text search, so it may return other documents too.
func (c *Client) search(ctx context.Context, docID string) (*signatureRequest, error) {
	var best *signatureRequest
	for page := 1; page <= maxSearchPages; page++ {
		q := url.Values{"query": {"metadata:" + docID}, "page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(searchPageSize)}}
		rep, err := c.call(ctx, request{op: "find", method: http.MethodGet, path: "/signature_request/list", query: q})
		if err != nil {
			return nil, err
		}
		var lr listResponse
		if err := json.Unmarshal(rep.Body, &lr); err != nil {
			return nil, fmt.Errorf("%s find: list answer: %w", providerName, err)
		}
		for i := range lr.SignatureRequests {
			sr := &lr.SignatureRequests[i]
			// The oldest: if a duplicate ever slipped through, every retry still settles on
			// the same request, the first one signers were asked to sign.
			if metadataString(sr.Metadata, "doc_id") == docID && (best == nil || sr.CreatedAt < best.CreatedAt) {
				best = sr
			}
		}
		if page >= lr.ListInfo.NumPages {
			break
		}
	}
	return best, nil
}

// sentOf maps each signer's role to its signature_id: by order (the signer's index)
// and email; for a signer still unmatched, by email; then by order alone. Each pass
// covers every signer before the next, so a looser match never takes a signature
// that a stricter one gives someone else.
func sentOf(sr signatureRequest, signers []esign.Recipient) (esign.Sent, error) {
	byOrder := func(i int, s signature) bool { return s.Order != nil && *s.Order == i }
	byEmail := func(i int, s signature) bool { return strings.EqualFold(s.SignerEmailAddress, signers[i].Email) }
	passes := []func(int, signature) bool{
		func(i int, s signature) bool { return byOrder(i, s) && byEmail(i, s) }, byEmail, byOrder,
	}
	ids := make(map[string]string, len(signers))
	used := make([]bool, len(sr.Signatures))
	for _, match := range passes {
		for i, r := range signers {
			if _, done := ids[r.Role]; done {
				continue
			}
			for j, s := range sr.Signatures {
				if !used[j] && s.SignatureID != "" && match(i, s) {
					used[j], ids[r.Role] = true, s.SignatureID
					break
				}
			}
		}
	}
	for _, r := range signers {
		if ids[r.Role] == "" {
			return esign.Sent{}, fmt.Errorf("%s send: signature request %s has no signature for %s (%s)", providerName, sr.SignatureRequestID, r.Role, r.Email)
		}
	}
	return esign.Sent{EnvelopeID: sr.SignatureRequestID, RecipientIDs: ids}, nil
}
