// Package dropboxsigntest is a stand-in for Dropbox Sign's API v3, for tests: an
// httptest server that holds signature requests in memory and checks every request it
// receives against Dropbox Sign's own API document (testdata/openapi.yaml, embedded;
// see testdata/SOURCE.md), and every answer and callback it gives too.
//
// It plays what esign/dropboxsign uses: send (multipart/form-data only), list (with
// the query metadata:<term>), get, cancel and files (file_type=pdf). A request that
// violates the document (a signer without email_address, a form field without api_id,
// a wrong API key, an unknown path) fails the test through t.Errorf, with the
// validator's message, and is answered 400 (401 for credentials) in the document's
// ErrorResponse shape.
//
// Validation: kin-openapi routes the request as if sent to the document's server and
// checks credentials, path and query parameters with openapi3filter. Its multipart
// decoder does not know the bracketed names Dropbox Sign's forms use (signers[0][name],
// metadata[doc_id], files[0]), so the stand-in reads a send's form itself into the
// object it stands for, types the values by the schema (form_fields_per_document is a
// JSON string in a form), and validates that object as the operation's
// application/json body, which has the same schema.
//
// Faults, to test a client's retries: FailNext (any 4xx/5xx, with Retry-After),
// RateLimitNext (429 with X-Ratelimit-Reset only, as documented), LoseNextCreate (the
// request is created, the connection closed unanswered), FilesNotReady (409) and
// SearchDelay (new requests missing from list results for a while, as Dropbox Sign's
// search index lags).
//
// Sign plays the signers and posts the callbacks Dropbox Sign would, signed with the
// API key. Where the document is silent (which 4xx a cancel of an ended request gets,
// how search matches), the stand-in's choice is written where it is made.
package dropboxsigntest
