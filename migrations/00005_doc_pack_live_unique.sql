-- +goose Up
-- Refines the seed's `unique (leg_id, status) deferrable initially deferred` on doc_pack.
-- As written it allows one 'superseded' and one 'voided' pack per leg, so a leg amended
-- twice could not supersede its second pack. What must hold is that a leg has at most
-- one live pack (draft, issued or signed); any number of superseded or voided ones may
-- stay as history. A partial unique index says exactly that. (It cannot be deferred, so
-- the supersede flow marks the old pack superseded before it inserts the new one, in the
-- same transaction.)
alter table doc_pack drop constraint doc_pack_leg_id_status_key;
create unique index doc_pack_one_live_per_leg on doc_pack (leg_id) where status in ('draft', 'issued', 'signed');

-- +goose Down
drop index doc_pack_one_live_per_leg;
alter table doc_pack add constraint doc_pack_leg_id_status_key unique (leg_id, status) deferrable initially deferred;
