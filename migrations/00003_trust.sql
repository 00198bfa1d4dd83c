-- +goose Up
-- Seed TD-89 (004_8a9a803c3f395d55.txt), tables as written. The DynamoDB trust_cache
-- item is created by `pipelinectl bootstrap`, not here.

-- Identity Verification (IDV) status & metadata
create table idv_status (
  idv_id text primary key, -- idv_...
  user_id text not null, -- usr_...
  provider text not null, -- 'persona' or 'stripe_identity' etc.
  provider_ref text not null, -- external session/check id
  status text not null check (status in ('pending','passed','failed','expired','requires_review')),
  checks_json jsonb not null, -- document, selfie, liveness, match scores (non-PII summaries)
  age_verified boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, provider_ref)
);

-- Background Check (FCRA) status
create table bg_status (
  bg_id text primary key, -- bg_...
  user_id text not null,
  provider text not null, -- 'checkr' etc.
  provider_ref text not null,
  status text not null check (status in ('invited','in_progress','clear','consider','suspended','disputed','withdrawn','expired')),
  package text not null, -- e.g. 'basic_us'
  adjudication text, -- provider adjudication summary (non-PII)
  report_url text, -- provider-hosted report link (if allowed)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, provider_ref)
);

-- Social verification (per platform)
create table social_verification (
  soc_id text primary key, -- soc_...
  user_id text not null,
  platform text not null check (platform in ('instagram','tiktok','youtube','x')),
  handle text not null,
  verified boolean not null default false,
  snapshot_json jsonb, -- follower counts, ER, etc. (non-secret)
  last_checked_at timestamptz
);

-- Trust badges (derived)
create table trust_badge (
  badge_id text primary key, -- tbg_...
  user_id text not null,
  kind text not null check (kind in ('id_verified','trusted_pro','social_verified')),
  source_id text, -- idv_id, bg_id, or soc_id
  issued_at timestamptz not null default now(),
  expires_at timestamptz -- optional expiry for recert
);

-- Risk signals snapshots. "window" is a reserved word: quoted wherever it appears.
create table trust_risk_signal (
  signal_id text primary key, -- rsk_...
  user_id text not null,
  "window" daterange not null, -- [start,end)
  disputes_opened int not null default 0,
  refunds_asked int not null default 0,
  cancellations int not null default 0,
  late_delivery int not null default 0,
  charge_failures int not null default 0,
  bad_clicks int not null default 0,
  flags_json jsonb not null default '{}'::jsonb,
  score int not null default 0, -- aggregate score (0-100; lower is riskier)
  computed_at timestamptz not null default now()
);

-- Extension: every trust read is per user (badges, statuses, snapshots).
create index trust_badge_user_id_idx on trust_badge (user_id);
create index social_verification_user_id_idx on social_verification (user_id);
create index trust_risk_signal_user_id_idx on trust_risk_signal (user_id);

-- +goose Down
drop table trust_risk_signal;
drop table trust_badge;
drop table social_verification;
drop table bg_status;
drop table idv_status;
