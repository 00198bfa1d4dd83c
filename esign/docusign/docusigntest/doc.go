// Package docusigntest is a stand-in for DocuSign in tests: the OAuth service (JWT grant
// and userinfo) and the eSignature REST API of one account, in memory, on an
// httptest.Server. It is strict where DocuSign is forgiving, so that the adapter's
// mistakes show up in tests rather than in production:
//
//   - Every API request is checked against DocuSign's own published document
//     (testdata/esignature.rest.swagger-v2.trimmed.json, converted to OpenAPI 3 with
//     kin-openapi's openapi2conv, validated with openapi3filter). On top of the
//     document's types, objects refuse properties it does not define and operations
//     refuse query parameters it does not declare: DocuSign silently ignores both, which
//     would hide a misspelt field or filter. A request that breaks the document fails
//     the test (t.Errorf with the validator's message) and gets DocuSign's 400
//     errorDetails. The stand-in's own 2xx answers are checked against it too.
//   - The JWT assertion is verified: RS256 with the key pair the stand-in generates
//     (PrivateKeyPEM hands the private half to the client), iss = the integration key,
//     sub = the user, aud = the auth host, scope "signature impersonation", iat and exp.
//   - userinfo lists a default account first and the one under test second, so a client
//     must choose by account id.
//   - The envelope search honours from_date, custom_field (name=value), transaction_ids
//     (which expire after 7 days, as DocuSign's do), envelope_ids and status.
//
// Faults are injected per operation (FailNext, LoseNextCreate, SlowToken, RevokeTokens)
// and counted (Created, TokenRequests, Calls). Sign plays the signers: it posts the
// Connect JSON SIM messages an envelope asked for in its eventNotification, HMAC-signed,
// shaped like DocuSign's example message (testdata/connect.schema-v2.json), and
// completes the envelope so that its combined document and certificate can be
// downloaded.
//
// The mapping of operations to the document: create = Envelopes_PostEnvelopes, list =
// Envelopes_GetEnvelopes, get = Envelopes_GetEnvelope, update (void only) =
// Envelopes_PutEnvelope, recipients = Recipients_GetRecipients, document =
// Documents_GetDocument (documentId combined, certificate, or a document's id).
package docusigntest
