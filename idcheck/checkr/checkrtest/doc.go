// Package checkrtest is a stand-in for Checkr's Retrieve an existing Report, for tests:
// an httptest server that holds reports in memory and answers GET /v1/reports/{id} with
// reports shaped like the Report object of Checkr's API document, every member present
// (testdata/report.json, see testdata/SOURCE.md), so that a client is tested against
// the screenings, dates and ids it must not take.
//
// It checks HTTP Basic credentials (the API key as user name, an empty password) and
// answers 401 "Bad authentication error" otherwise; an unknown report is 404 "Resource
// not found" (the words of Checkr's UnauthorizedError and ResourceNotFoundError).
//
// Faults, to test a client's retries: FailNext (any status, Checkr's {"error": ...}
// shape, with Retry-After), RateLimitNext (429 with X-Ratelimit-Reset only, as Checkr
// documents its rate limit) and RespondNext (any answer, byte for byte).
package checkrtest
