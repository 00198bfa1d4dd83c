-- +goose Up
-- Tamper evidence for the signer log: each doc_sign_event row carries the SHA-256 of its
-- own content chained to the previous row of the same document, so an edited, deleted
-- or reordered row breaks every hash after it (`pipelinectl doc verify` walks the chain).
-- Rows are still never updated: the hash is computed before the insert.
alter table doc_sign_event add column prev_hash text;
alter table doc_sign_event add column chain_hash text;
alter table doc_sign_event add column seq int;
create unique index doc_sign_event_doc_seq_idx on doc_sign_event (doc_id, seq);

-- Every verified provider event, once, by its dedupe key (providers.md): what it was and
-- what the pipeline did with it, including events it does not use, which are
-- acknowledged and recorded here rather than treated as errors.
create table webhook_event (
  dedupe_key text primary key,
  provider text not null,
  event_type text not null,
  receipt_id text not null,
  outcome text not null, -- applied, duplicate, ignored, unknown_subject
  subject text,          -- doc_id, user_id or candidate id it concerned
  received_at timestamptz not null,
  recorded_at timestamptz not null default now()
);

-- +goose Down
drop table webhook_event;
drop index doc_sign_event_doc_seq_idx;
alter table doc_sign_event drop column seq, drop column chain_hash, drop column prev_hash;
