-- +goose Up
-- Extension (issue 16, PII hygiene): `pipelinectl dlq show --unsafe-show-body --reason`
-- shows the raw body of a dead-lettered identity or background-check webhook (personal
-- data the tables never hold). Each such look is an operator action like a replay: one
-- ops_action row (who, when, why, which DLQ) and one ops_action_item per message shown,
-- written before anything is printed, kept RETAIN_OPS_ACTIONS like the rest of the audit
-- and shown by `pipelinectl trace EVENT_ID`.
alter table ops_action drop constraint ops_action_action_check;
alter table ops_action add constraint ops_action_action_check
  check (action in ('dlq_replay','dlq_purge','job_retry','dlq_show_body'));

-- +goose Down
delete from ops_action_item where action_id in (select action_id from ops_action where action = 'dlq_show_body');
delete from ops_action where action = 'dlq_show_body';
alter table ops_action drop constraint ops_action_action_check;
alter table ops_action add constraint ops_action_action_check
  check (action in ('dlq_replay','dlq_purge','job_retry'));
