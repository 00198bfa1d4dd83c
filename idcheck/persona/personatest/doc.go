// Package personatest is a stand-in for Persona's Retrieve an Inquiry, for tests: an
// httptest server that holds inquiries in memory and answers GET
// /api/v1/inquiries/{inquiry-id} the way Persona's API document (version 2025-12-08)
// shows, built from the document's own examples (testdata/, see testdata/SOURCE.md), so
// answers carry every attribute a real inquiry has, not only those a client reads.
//
// It checks what Persona checks and a little more:
//
//   - Authorization must be "Bearer <key>": otherwise 401 with Persona's words;
//   - Persona-Version must be a version Persona lists: otherwise 400. Persona itself
//     documents the header as optional (without it, the API key's version applies); the
//     stand-in requires it, because a client that omits it gets whatever shape the
//     dashboard is set to. AcceptMissingVersion restores Persona's behaviour;
//   - Key-Inflection, when sent, must be kebab: the only casing the stand-in plays;
//   - `included` holds only the relationships named in the include query parameter, as
//     Persona does from version 2025-10-27 on;
//   - an unknown inquiry is 404 "Record not found".
//
// Faults, to test a client's retries: FailNext (any status, Persona's error shape, with
// Retry-After), RateLimitNext (429 with RateLimit-Reset only, as Persona documents) and
// RespondNext (any answer, byte for byte).
package personatest
