-- +goose NO TRANSACTION
-- +goose Up
-- Extension (retention): the indexes the prune job's batches read. Each batch deletes
-- the oldest rows older than a horizon (store.PruneBatch: `... where <ts> < $1 order by
-- <ts> limit $2`). Without an index on the timestamp every batch would scan the whole
-- table. inbox's (type, received_at) index cannot serve a batch over every type, and
-- ops_action already has ops_action_started_at_idx (its items go by their key).
--
-- Built CONCURRENTLY, outside goose's transaction (the annotation above): these tables
-- are written all the time (the consumer inserts into inbox in every batch) and may
-- already be large when this runs, and a plain CREATE INDEX would block their writes for
-- the whole build. A concurrent build that fails leaves an invalid index behind, and the
-- migration is not recorded. Each index is therefore dropped first, so running the
-- migration again builds it anew rather than keeping the invalid one.
drop index concurrently if exists inbox_received_at_idx;
create index concurrently inbox_received_at_idx on inbox (received_at);
drop index concurrently if exists message_failure_last_failed_at_idx;
create index concurrently message_failure_last_failed_at_idx on message_failure (last_failed_at);
drop index concurrently if exists webhook_event_recorded_at_idx;
create index concurrently webhook_event_recorded_at_idx on webhook_event (recorded_at);

-- +goose Down
drop index concurrently if exists webhook_event_recorded_at_idx;
drop index concurrently if exists message_failure_last_failed_at_idx;
drop index concurrently if exists inbox_received_at_idx;
