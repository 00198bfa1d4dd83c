-- +goose Up
-- Extensions to the TD-89 trust tables (004_8a9a803c3f395d55.txt) for issue 5 and 6.

-- The user's trust version: bumped in the same transaction as every change to what the
-- trust_cache item shows (statuses, badges, risk snapshots). The cache write is
-- conditional on it, so an older state can never replace a newer one in DynamoDB.
create table trust_user (
  user_id text primary key,
  version bigint not null default 0,
  changed_at timestamptz not null default now()
);

-- Checkr names a candidate, not our user: trust.background_check.requested tells us
-- which user (and package) a candidate is, and later webhooks resolve through it.
create table bg_candidate (
  provider text not null,
  candidate_id text not null,
  user_id text not null,
  package text not null,
  invitation_id text,
  requested_at timestamptz not null,
  primary key (provider, candidate_id)
);

-- A background check's status legitimately moves back and forth (suspended, resumed,
-- disputed, cleared again), so "never backwards" means "never older": a status or an
-- adjudication step applies only if its provider event is newer than the one that set
-- the current value. Two clocks, because adjudication steps keep the status.
alter table bg_status
  add column status_at timestamptz,
  add column adjudication_at timestamptz;

-- One row per user and platform, so a newer check updates the row instead of piling up;
-- checks apply in last_checked_at order.
alter table social_verification add constraint social_verification_user_platform_key unique (user_id, platform);

-- Revocation is recorded, not deleted: a badge whose source falls keeps its row with
-- when and why. Active = not revoked and not expired.
alter table trust_badge
  add column revoked_at timestamptz,
  add column revoked_reason text;
create index trust_badge_source_idx on trust_badge (source_id);

-- One snapshot per (user, window): a recompute updates it in place, and only when its
-- inputs changed.
alter table trust_risk_signal add constraint trust_risk_signal_user_window_key unique (user_id, "window");

-- +goose Down
alter table trust_risk_signal drop constraint trust_risk_signal_user_window_key;
drop index trust_badge_source_idx;
alter table trust_badge drop column revoked_reason, drop column revoked_at;
alter table social_verification drop constraint social_verification_user_platform_key;
alter table bg_status drop column adjudication_at, drop column status_at;
drop table bg_candidate;
drop table trust_user;
