-- +goose Up
-- Extension (not in the seeds): doc_pack.leg_id references booking_leg(leg_id), so the
-- pipeline keeps a minimal copy of each leg it hears about from checkout events. The
-- booking system owns legs; this row only anchors the foreign key and the leg's city.
create table booking_leg (
  leg_id text primary key,
  booking_id text not null,
  city text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- +goose Down
drop table booking_leg;
