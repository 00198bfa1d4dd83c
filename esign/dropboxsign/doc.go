// Package dropboxsign is the esign.Provider for Dropbox Sign (formerly HelloSign), API
// v3, authenticated with an API key (HTTP Basic, the key as user, empty password).
//
// # Mapping
//
// An esign.Envelope becomes one signature request sent with POST
// /signature_request/send as multipart/form-data, the form Dropbox Sign documents for
// file uploads:
//
//   - files[0]: the locked PDF (Envelope.PDF);
//   - title and subject: the document's title (cut to the API's 255 characters);
//   - signers[i][name], signers[i][email_address], signers[i][order]: the recipients
//     sorted by routing order; order is 0-based, so i is both the signer's index and
//     its place in the signing order;
//   - metadata[doc_id], metadata[pack_id]: our ids, echoed in every response and
//     callback, and what the idempotence search below looks for;
//   - test_mode=1 when Config.TestMode is set (not legally binding, free of charge);
//   - form_fields_per_document: a JSON string, one "signature" field per esign.Field,
//     required, on the first (only) file, signer = the signer's index as a string.
//     Without fields Dropbox Sign appends a signature page of its own.
//
// The request's signature_id of each signer is returned by role in
// esign.Sent.RecipientIDs: callbacks name the signer who acted only by that id
// (event_metadata.related_signature_id), since signer_role is null for requests sent
// without a template.
//
// # Units
//
// esign.Field boxes are in PDF points (1/72 inch) from the page's top-left corner.
// With `page` set, Dropbox Sign reads x and y in that same system (72 DPI from the
// top-left of the page), so they pass through, rounded to whole units; but it reads
// width and height at 80 DPI, so those are scaled by 80/72 (a 72 pt wide box, one
// inch, is sent as width 80). All four are integers in the API.
//
// # Idempotence
//
// Dropbox Sign has no idempotency key, so Send finds before it creates: GET
// /signature_request/list?query=metadata:<doc_id>, keeping only requests whose
// metadata.doc_id is exactly ours (the search is full-text), the oldest if several.
// Only when none is found is the request created, and a failed create is retried only
// after a fresh search. Because a new request shows up in search results only after "a
// minor delay", a create whose outcome is unknown (a transport error, a 5xx, a 408: it
// may have been created) makes the following search patient: it asks up to five times,
// with backoff between (7 to 15 s in all), before concluding that nothing was created.
//
// Residual risk: a duplicate request is still possible if the search index lags longer
// than that, or if the process dies (or its context ends) after Dropbox Sign accepted a
// create but before the answer arrived, and the retried job searches within the lag:
// that first search of a new Send is not patient, since it cannot know a create was
// attempted. Both copies carry metadata[doc_id], so the same query finds them.
//
// # Retries
//
// 429, 5xx, 408 and transport errors are retried up to Config.MaxAttempts with
// exponential backoff and jitter, capped at Config.MaxWait; a Retry-After or, on a 429,
// X-Ratelimit-Reset (Unix time) sets the least wait. When the provider asks for longer
// than MaxWait (an hourly rate limit), the error is returned at once with RetryAfter
// set: a job queue waits better than a goroutine. Other 4xx are permanent
// *esign.Error values carrying error_name and error_msg.
package dropboxsign
