// Package store is trustdocs' PostgreSQL data layer: it owns every SQL statement, and
// nothing else. It speaks no S3 or DynamoDB (docstore/ and trustcache/ do) and decides
// no policy (the badge rules are trust.DeriveBadges, the risk score is risk.Policy): it
// reads and writes the rows the domain packages describe, idempotently.
//
// # Files, one per table family
//
//   - db.go: Tx, Pool, DB, Querier, InTx, ErrNotFound.
//   - migrate.go: River's schema and ours (migrations/), under an advisory lock.
//   - roles.go: the owner and runtime roles of `pipelinectl migrate --roles`, and the
//     runtime role's grants (RuntimeGrants); its statements run at migrate time only.
//   - inbox.go: inbox (event dedupe) and message_failure (last transient error).
//   - ops.go: ops_action and ops_action_item (the operators' audit).
//   - jobs.go: counts of failed River jobs, for alerts.
//   - content.go: doc_clause and doc_template (publishing and the live versions).
//   - legs.go: booking_leg. packs.go: doc_pack. docs.go: doc_instance.
//   - sign_events.go: doc_sign_event, the append-only, hash-chained evidence log.
//   - webhooks.go: webhook_event (each provider event once, with its outcome).
//   - trust.go: trust_user (the monotonic trust version and its lock).
//   - identity.go: idv_status. background.go: bg_candidate and bg_status.
//     social.go: social_verification. badges.go: trust_badge.
//   - risk.go: risk_event (the ledger) and trust_risk_signal (scored windows).
//   - trust_state.go: a user's whole trust state in one snapshot.
//   - trace.go: what `pipelinectl trace` reads across tables.
//
// # Transactions
//
// Functions that must run inside the caller's transaction end in Tx and take a Tx;
// readers take a Querier (a pool or a transaction). Jobs begin transactions through DB,
// which a test may satisfy with its own transaction (nested Begin is a savepoint).
package store
