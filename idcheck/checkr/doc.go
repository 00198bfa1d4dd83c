// Package checkr is the idcheck.ReportReader for Checkr: it retrieves a background check
// report's status and result when a webhook did not carry them (a missed or reordered
// report.completed).
//
// # Request
//
// GET /v1/reports/{id}, authenticated with HTTP Basic: the API key as user name and an
// empty password, as Checkr documents.
//
// # What is kept
//
// The answer is decoded into a struct of exactly four strings (id, candidate_id, status,
// result) and returned as an idcheck.Report; nothing else of the report (package,
// adjudication, screenings, their ids, dates) is read. A report is consumer-report
// information under the FCRA: what is not needed is not taken.
//
// # Retries
//
// 429, 408, 5xx and transport errors are retried up to Config.MaxAttempts with
// exponential backoff and jitter capped at Config.MaxWait; Retry-After, or on a 429
// Checkr's X-Ratelimit-Reset (the time the limit resets), sets the least wait. A
// provider asking for longer than MaxWait gets its *apierror.Error back at once with
// RetryAfter set, for the job queue to wait out. Other 4xx (401, 403, 404, ...) are
// permanent *apierror.Error values carrying Checkr's "error" text; an answer in another
// shape is never quoted.
package checkr
