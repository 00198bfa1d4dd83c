-- +goose Up
-- Extension (issue 16, append-only evidence): doc_sign_event is the signers' evidence
-- log. The code only ever appends to it (store.AppendSignEventTx), and the hash chain
-- (00008) shows an edit after the fact; these triggers make the database itself refuse
-- the edit, whoever asks, table owner and superuser included. A runtime role is also
-- granted no UPDATE, DELETE or TRUNCATE on the table (`pipelinectl migrate --roles`,
-- store/roles.go), so for the pipeline's own login the refusal comes twice.
--
-- Row-level for UPDATE and DELETE, so a document without evidence rows can still be
-- deleted (its cascade touches no row) while one with evidence cannot, and the error
-- names the row; TRUNCATE has only statement triggers. A cascade from doc_instance,
-- doc_pack or booking_leg fires these triggers too, so evidence cannot go with a parent.
--
-- The table's owner can still `ALTER TABLE doc_sign_event DISABLE TRIGGER
-- doc_sign_event_append_only`, rewrite rows and enable it again. Only the owner (or a
-- superuser) can: that is why the migrating role is not the runtime role, and why each
-- document's evidence is also anchored in S3 under Object Lock, out of the owner's reach.
-- +goose StatementBegin
create function doc_sign_event_refuse_change() returns trigger
language plpgsql as $$
begin
  if tg_level = 'ROW' then
    raise exception 'doc_sign_event is append-only: % of evidence row % refused', tg_op, old.sign_event_id
      using errcode = 'restrict_violation',
            hint = 'evidence rows are never changed or removed; a correction is a new row';
  end if;
  raise exception 'doc_sign_event is append-only: % refused', tg_op
    using errcode = 'restrict_violation',
          hint = 'evidence rows are never changed or removed; a correction is a new row';
end
$$;
-- +goose StatementEnd
create trigger doc_sign_event_append_only before update or delete on doc_sign_event
  for each row execute function doc_sign_event_refuse_change();
create trigger doc_sign_event_no_truncate before truncate on doc_sign_event
  for each statement execute function doc_sign_event_refuse_change();

-- The roles `pipelinectl migrate --roles` set up: the owner, which owns every object of
-- the schema and applies migrations, and the runtime roles of the worker and
-- pipelinectl. Every later `pipelinectl migrate` reads it (store.Migrate) to apply
-- migrations as the owner and then to grant each runtime role exactly its privileges on
-- every table (store.RuntimeGrants), tables made by the new migrations included. No
-- runtime role may read it.
create table db_role (
  role_name text primary key,
  kind text not null check (kind in ('owner', 'runtime')),
  recorded_at timestamptz not null default now()
);
create unique index db_role_one_owner_idx on db_role (kind) where kind = 'owner';

-- +goose Down
drop table db_role;
drop trigger doc_sign_event_no_truncate on doc_sign_event;
drop trigger doc_sign_event_append_only on doc_sign_event;
drop function doc_sign_event_refuse_change();
