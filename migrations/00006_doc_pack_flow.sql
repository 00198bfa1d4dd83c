-- +goose Up
-- Extensions the doc-pack flow needs (issue 4).

-- The checkout event a pack was built from: a retried or replayed build finds its pack
-- instead of making a second one.
alter table doc_pack add column source_event_id text;
create unique index doc_pack_source_event_idx on doc_pack (source_event_id);

-- Why a pack could not be built (a missing or invalid variable, no signer for a role):
-- the pack stays a draft with no documents and this says what upstream must fix.
alter table doc_pack add column failure text;

-- The clauses a document was rendered from, in order, after gating: with
-- variables_filled and the template version this is everything needed to re-render the
-- document byte for byte (`pipelinectl doc verify`).
alter table doc_instance add column clause_ids text[];

-- Legal hold on the document's S3 objects, and who set or cleared it and why.
alter table doc_instance add column legal_hold boolean not null default false;
alter table doc_instance add column legal_hold_reason text;
alter table doc_instance add column legal_hold_actor text;
alter table doc_instance add column legal_hold_at timestamptz;

-- +goose Down
alter table doc_instance drop column legal_hold_at, drop column legal_hold_actor,
  drop column legal_hold_reason, drop column legal_hold, drop column clause_ids;
drop index doc_pack_source_event_idx;
alter table doc_pack drop column failure, drop column source_event_id;
