-- +goose Up
-- Extension: the inbox. One row per accepted event id, inserted in the same transaction
-- as the event's River jobs, so a redelivered, duplicated or replayed event is a no-op.
create table inbox (
  event_id text primary key,
  type text not null,
  source text not null,
  queue text not null,
  message_id text not null,
  occurred_at timestamptz not null,
  received_at timestamptz not null default now()
);
create index inbox_type_received_at_idx on inbox (type, received_at);

-- Extension: the last error of a message that failed transiently, keyed by its SQS
-- message id (kept across receives and DLQ redrive), so a message that SQS later moves
-- to its DLQ stays explainable. Rows are evidence for on-call, never a source of truth.
create table message_failure (
  message_id text primary key,
  queue text not null,
  event_id text,
  event_type text,
  error_class text not null,
  error_text text not null,
  receive_count int not null,
  first_failed_at timestamptz not null default now(),
  last_failed_at timestamptz not null default now()
);

-- Extension: the risk ledger. Each of the six risk signal events once (dedupe by event
-- id), and each completed leg once per party for volume, with user and time, so a window
-- recompute counts from here instead of from queues.
create table risk_event (
  event_id text not null,
  user_id text not null,
  kind text not null check (kind in ('disputes_opened','refunds_asked','cancellations','late_delivery',
                                      'charge_failures','bad_clicks','completed_booking')),
  occurred_at timestamptz not null,
  booking_id text,
  leg_id text,
  recorded_at timestamptz not null default now(),
  primary key (event_id, user_id)
);
create index risk_event_user_time_idx on risk_event (user_id, occurred_at);

-- +goose Down
drop table risk_event;
drop table message_failure;
drop table inbox;
