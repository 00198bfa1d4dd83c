// Package docusign is the DocuSign eSignature provider: an esign.Provider over the
// eSignature REST API v2.1, authenticated with the OAuth JWT grant.
//
// # Authentication
//
// The client signs an RS256 assertion with the integration key's RSA key (iss = the
// integration key, sub = the impersonated user, aud = the auth host, scope "signature
// impersonation") and trades it at {AuthURL}/oauth/token for an access token. The token
// is cached until shortly before it expires and shared by every goroutine: callers who
// arrive while it is being fetched wait for that one request. {AuthURL}/oauth/userinfo
// then names the account's base URI; the API lives under
// {base_uri}/restapi/v2.1/accounts/{AccountID}/. A 401 from the API drops the cached token
// once and retries with a fresh one.
//
// # Mapping
//
// An esign.Envelope becomes one envelopeDefinition sent with status "sent":
//
//   - Title → emailSubject and the document's name; PDF → documents[0] (documentId "1").
//   - Recipients, ordered by routing order → recipients.signers, recipientId "1", "2", ...
//     (the routing order itself when orders are 1..n, as esign.RecipientsFrom makes them),
//     roleName = our role; esign.Sent.RecipientIDs maps each role to its recipientId.
//   - Fields → each signer's signHereTabs. Our fields are in PDF points from the page's
//     top-left corner, which is exactly DocuSign's positioning (pixels at 72 DPI from
//     the top-left), so xPosition/yPosition are the field's X/Y, rounded.
//   - DocID and PackID → hidden text custom fields doc_id and pack_id; DocID is also the
//     envelope's transactionId.
//   - An envelope-level eventNotification sends Connect JSON SIM messages (eventData
//     restv2.1/json, with recipients and custom fields) to Config.WebhookURL, HMAC
//     signed, with acknowledgement, for the recipient and envelope events the webhook
//     receiver normalizes (webhook.NormalizeDocuSign).
//
// # Idempotence
//
// DocuSign has no idempotency key on envelope creation, so a document's envelope is
// found before one is created, and a create is never retried blind:
//
//  1. GET envelopes?transaction_ids={doc id}: transactionId exists for exactly this case
//     (a create whose response was lost), but DocuSign keeps it for 7 days only;
//  2. GET envelopes?from_date={30 days ago}&custom_field=doc_id={doc id}: the custom field
//     finds older envelopes (from_date is mandatory on this search, hence the window).
//
// When either finds an envelope, Send returns it (its recipient ids read back from
// GET envelopes/{id}/recipients) whatever its status, voided included: a document has
// one envelope, and a retried job after a void must void it again, not send a second.
// When several are found, one not voided is preferred, then the oldest. Only when both
// searches come back empty is the envelope created; if the create fails in a way that
// may have created it anyway (no response, 5xx, 429), Send backs off and starts again
// from the searches.
//
// # Errors and retries
//
// 429, 408, 5xx and transport errors are retried up to Config.MaxAttempts with
// exponential backoff and jitter; a Retry-After (or, failing that, X-RateLimit-Reset)
// is honoured, and when it asks for more than Config.MaxWait the call gives up at once
// with an *esign.Error carrying RetryAfter, for the job queue to schedule. Other 4xx
// are permanent *esign.Error values with DocuSign's errorCode and message. An envelope
// that cannot be mapped (no PDF, a signer without a field) is refused before any request,
// with esign.ErrInvalidEnvelope. Void treats
// an envelope already voided, completed or declined as done; Executed answers
// esign.ErrNotReady until the envelope is completed.
package docusign
