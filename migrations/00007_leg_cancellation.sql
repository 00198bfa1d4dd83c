-- +goose Up
-- A cancelled leg remembers when it was cancelled, so a checkout or amendment that
-- arrives after the cancellation but happened before it (out-of-order delivery) cannot
-- bring the leg's pack back to life. A cancellation can arrive before any checkout, so
-- the leg's city may not be known yet.
alter table booking_leg add column cancelled_at timestamptz;
alter table booking_leg alter column city drop not null;

-- +goose Down
alter table booking_leg drop column cancelled_at;
