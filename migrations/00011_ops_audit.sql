-- +goose Up
-- Extension (issue 7, on-call tooling): an audit trail of what operators did to the
-- pipeline's work. Nothing in the seeds records operator actions; AWS's own redrive
-- keeps no record either, so `pipelinectl dlq replay`, `dlq purge` and `jobs retry`
-- write one ops_action row each (who, when, why, with which filter) before they act, and
-- one ops_action_item row per message or job they touched, as they touch it: a run cut
-- short still says exactly what it moved. Rows are appended, never updated except for
-- the action's finish time and count.
create table ops_action (
  action_id text primary key,        -- rpl_..., prg_..., rty_...
  action text not null check (action in ('dlq_replay','dlq_purge','job_retry')),
  actor text not null,               -- --actor, $TRUSTDOCS_ACTOR or the OS user
  reason text not null,
  queue text,                        -- the DLQ (replay, purge)
  target_queue text,                 -- where a replay sent the messages
  filter_json jsonb not null default '{}'::jsonb,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  items int not null default 0
);
create index ops_action_started_at_idx on ops_action (started_at);

create table ops_action_item (
  action_id text not null references ops_action(action_id),
  item_id text not null,             -- the DLQ message id, or the River job id
  event_id text,
  event_type text,
  new_message_id text,               -- a replay: the id of the copy sent to the source queue
  done_at timestamptz not null default now(),
  primary key (action_id, item_id)
);
-- `pipelinectl trace EVENT_ID` shows the replays of an event.
create index ops_action_item_event_id_idx on ops_action_item (event_id);

-- +goose Down
drop table ops_action_item;
drop table ops_action;
