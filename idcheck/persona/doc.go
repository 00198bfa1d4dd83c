// Package persona is the idcheck.AgeChecker for Persona: it retrieves an inquiry and
// says whether its date of birth shows an adult, for the trust jobs when a webhook did
// not carry the answer (or carried an inquiry serialized without it).
//
// # Request
//
// GET /api/v1/inquiries/{inquiry-id}?include=verifications with
//
//   - Authorization: Bearer <API key>;
//   - Persona-Version: Config.Version, by default DefaultVersion (2025-12-08, the latest
//     version Persona has released). Without the header Persona answers in the version
//     set on the API key in its dashboard, which can change under us; pinning it keeps
//     the shape we decode fixed;
//   - Key-Inflection: kebab, so that the attribute names are the ones decoded here
//     whatever casing the API key is set to. (Keys inside attributes.fields are never
//     inflected.)
//
// include=verifications is needed from version 2025-10-27 on, which stopped serializing
// related objects in `included` unless asked.
//
// # Date of birth
//
// The first of these that holds a YYYY-MM-DD date is used:
//
//  1. data.attributes.fields.birthdate.value: the inquiry's typed field
//     ({"type": "date", "value": "1995-09-08"}), present in every version;
//  2. data.attributes.birthdate: the flat copy that versions before 2025-10-27 serialize;
//  3. attributes.birthdate of an included verification/*: a government ID first, a
//     passed verification before one that did not pass.
//
// Persona documents inquiry fields as customer-supplied (prefilled by us or typed by the
// individual) and readable and writable by the end user; the job that asks should ask
// only about inquiries Persona approved. A date that is not YYYY-MM-DD counts as none.
//
// The date is read into a local variable, turned into idcheck.Adult and dropped: it is
// never returned, logged or put in an error. Provider messages are cut to 200
// characters with anything shaped like a date masked, and an answer body that is not
// Persona's error shape is never quoted.
//
// # Retries
//
// 429, 408, 5xx and transport errors are retried up to Config.MaxAttempts with
// exponential backoff and jitter capped at Config.MaxWait; Retry-After, or on a 429
// Persona's RateLimit-Reset (seconds until the window resets), sets the least wait. A
// provider asking for longer than MaxWait gets its *apierror.Error back at once with
// RetryAfter set, for the job queue to wait out. Other 4xx (401, 403, 404, ...) are
// permanent *apierror.Error values carrying Persona's errors[].title and details.
package persona
