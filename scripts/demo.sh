#!/usr/bin/env bash
# demo.sh: run trustdocs on the local stack. `start` brings the stack up, migrates,
# bootstraps, starts worker and receiver in the background and waits until both are
# ready; `stop` stops them. Logs go to $TRUSTDOCS_CACHE/run/demo/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CACHE=${TRUSTDOCS_CACHE:-$HOME/.cache/trustdocs}
DEMO=$CACHE/run/demo
mkdir -p "$DEMO"

alive() { [ -f "$DEMO/$1.pid" ] && kill -0 "$(cat "$DEMO/$1.pid")" 2>/dev/null; }

stop() {
  local svc pid
  for svc in worker receiver; do
    if alive "$svc"; then
      pid=$(cat "$DEMO/$svc.pid")
      echo "stopping $svc (pid $pid)"
      kill -TERM "$pid"
      for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$DEMO/$svc.pid"
  done
}

wait_ready() { # name url
  for _ in $(seq 120); do
    if curl -sf -o /dev/null "$2"; then return 0; fi
    if ! alive "$1"; then echo "demo: $1 exited; its log says:" >&2; tail -5 "$DEMO/$1.log" >&2; exit 1; fi
    sleep 0.25
  done
  echo "demo: $1 not ready at $2" >&2
  exit 1
}

start() {
  eval "$(scripts/devstack.sh up)"
  # The sandbox e-sign provider signs its webhooks like DocuSign Connect; the demo makes
  # its own key once (never in the repo) and gives it to the receiver and pipelinectl.
  [ -s "$DEMO/docusign.key" ] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DEMO/docusign.key")
  export WEBHOOK_SECRET_DOCUSIGN=${WEBHOOK_SECRET_DOCUSIGN:-$(cat "$DEMO/docusign.key")}
  # Likewise for the sandbox identity (Persona) and background-check (Checkr) providers.
  for p in persona checkr; do
    [ -s "$DEMO/$p.key" ] || (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DEMO/$p.key")
  done
  export WEBHOOK_SECRET_PERSONA=${WEBHOOK_SECRET_PERSONA:-$(cat "$DEMO/persona.key")}
  export WEBHOOK_SECRET_CHECKR=${WEBHOOK_SECRET_CHECKR:-$(cat "$DEMO/checkr.key")}
  export WORKER_ADDR=${WORKER_ADDR:-127.0.0.1:9091} RECEIVER_ADDR=${RECEIVER_ADDR:-127.0.0.1:8080}
  echo "== migrate"
  bin/pipelinectl migrate
  echo "== bootstrap"
  bin/pipelinectl bootstrap
  echo "== content publish (clauses and templates)"
  bin/pipelinectl content publish
  stop >/dev/null
  for svc in worker receiver; do
    setsid nohup "bin/$svc" >"$DEMO/$svc.log" 2>&1 </dev/null &
    echo $! >"$DEMO/$svc.pid"
  done
  wait_ready worker "http://$WORKER_ADDR/readyz"
  wait_ready receiver "http://$RECEIVER_ADDR/readyz"
  echo "== readiness"
  echo "worker:   $(curl -s "http://$WORKER_ADDR/readyz")"
  echo "receiver: $(curl -s "http://$RECEIVER_ADDR/readyz")"

  echo "== sample events: the contract examples, published as the booking system does"
  # Each run tells the story on a fresh leg (new event ids), so a second demo shows it
  # again; the checkout goes first and alone, so its pack is issued and signed before the
  # amendment and the cancellation (published afterwards) supersede and void it.
  run=$(date +%s)
  work=$(mktemp -d)
  for f in booking.checkout.completed booking.checkout.amended booking.checkout.cancelled; do
    sed -e "s/evt_chk_7Q2M4X1/evt_chk_demo${run}_/" -e "s/leg_7Q2M_1/leg_demo_${run}/" -e "s/bkg_7Q2M/bkg_demo_${run}/" \
      "events/examples/$f.json" >"$work/$f.json"
  done
  bin/pipelinectl publish "$work/booking.checkout.completed.json"
  for _ in $(seq 150); do
    [ "$(psql -X -tAq "$DATABASE_URL" -c "select count(*) from doc_instance d join doc_pack p using (pack_id) where p.leg_id = 'leg_demo_${run}' and d.envelope_status = 'sent'")" -ge 2 ] 2>/dev/null && break
    sleep 0.2
  done
  echo "== the issued pack, before any change"
  psql -X -q "$DATABASE_URL" -c "select p.pack_id, p.status, d.doc_id, d.render_pdf_s3, left(d.render_pdf_sha256, 16) as sha256, d.envelope_id, d.envelope_status from doc_pack p join doc_instance d using (pack_id) where p.leg_id = 'leg_demo_${run}' order by d.doc_id"
  doc=$(psql -X -tAq "$DATABASE_URL" -c "select d.doc_id from doc_instance d join doc_pack p using (pack_id) where p.leg_id = 'leg_demo_${run}' order by d.doc_id limit 1")
  if [ -n "$doc" ]; then
    echo "== pipelinectl doc verify $doc"
    bin/pipelinectl doc verify "$doc" || true
  fi
  pack=$(psql -X -tAq "$DATABASE_URL" -c "select pack_id from doc_pack where status = 'issued' and leg_id = 'leg_demo_${run}'")
  if [ -n "$pack" ]; then
    echo "== the sandbox provider's signers view and sign; its webhooks go through the receiver"
    bin/pipelinectl sandbox sign "$pack"
    for _ in $(seq 100); do
      [ "$(psql -X -tAq "$DATABASE_URL" -c "select status from doc_pack where pack_id = '$pack'")" = signed ] && break
      sleep 0.2
    done
    psql -X -q "$DATABASE_URL" -c "select pack_id, status from doc_pack where pack_id = '$pack'" \
      -c "select e.doc_id, e.seq, e.event, e.actor_role, left(e.chain_hash, 16) as chain_hash from doc_sign_event e join doc_instance d using (doc_id) where d.pack_id = '$pack' order by e.doc_id, e.seq"
  fi
  # The story, one step at a time, each waited for, so what the demo says is what
  # happened (and checked below).
  echo "== the amendment: the signed pack is superseded, and the amended pack is built, issued and sent"
  bin/pipelinectl publish "$work/booking.checkout.amended.json"
  for _ in $(seq 150); do
    [ "$(psql -X -tAq "$DATABASE_URL" -c "select count(*) from doc_pack p join doc_instance d using (pack_id) where p.leg_id = 'leg_demo_${run}' and p.status = 'issued' and d.envelope_status = 'sent'")" -ge 2 ] 2>/dev/null && break
    sleep 0.2
  done
  echo "== the cancellation: the amended pack is voided, and its envelopes with the provider"
  bin/pipelinectl publish "$work/booking.checkout.cancelled.json"
  for _ in $(seq 150); do
    [ "$(psql -X -tAq "$DATABASE_URL" -c "select count(*) from doc_pack where leg_id = 'leg_demo_${run}' and status = 'voided'")" -ge 1 ] 2>/dev/null && break
    sleep 0.2
  done
  story=$(psql -X -tAq "$DATABASE_URL" -c "select string_agg(status, ' ' order by created_at) from doc_pack where leg_id = 'leg_demo_${run}'")
  if [ "$story" != "superseded voided" ]; then
    echo "demo: the leg's packs are '$story', not 'superseded voided' as told: see the worker log $DEMO/worker.log" >&2
    exit 1
  fi
  echo "the leg's packs, oldest first: $story"
  echo "== the other sample events (risk, trust, a webhook)"
  bin/pipelinectl publish $(ls events/examples/*.json | grep -v booking.checkout)
  sleep 4
  echo "== what the pipeline did (a second demo run finds every event already in the inbox: no-ops)"
  psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<'SQL'
\echo doc packs: the checkout pack, signed, then superseded by the amendment, whose pack the cancellation voided
select pack_id, leg_id, status, source_event_id, created_at from doc_pack order by created_at desc limit 6;
\echo evidence log (doc_sign_event)
select doc_id, seq, event, actor_role, created_at from doc_sign_event order by created_at desc limit 12;
\echo accepted events (inbox)
select type, count(*) as events from inbox group by type order by type;
\echo risk ledger (risk_event)
select user_id, kind, count(*) from risk_event group by user_id, kind order by user_id, kind;
\echo trust: background checks, social checks, badges (revoked ones stay on record)
select user_id, provider, provider_ref, status, package, adjudication from bg_status order by user_id;
select user_id, platform, handle, verified, last_checked_at from social_verification order by user_id;
select user_id, kind, source_id, expires_at, revoked_at, revoked_reason from trust_badge order by user_id, issued_at;
\echo risk snapshots (trust_risk_signal): one per user and window, policy and reasons in flags_json
select user_id, "window", disputes_opened as disputes, refunds_asked as refunds, late_delivery as late, score,
       flags_json->>'insufficient_data' as insufficient, flags_json->>'volume' as volume from trust_risk_signal order by user_id, "window";
\echo dead letters with their reason (message_failure)
select event_type, error_class, error_text from message_failure order by last_failed_at desc limit 10;
SQL
  echo "== the sandbox identity and background-check providers pass usr_t_2002 (webhooks through the receiver)"
  bin/pipelinectl sandbox verify usr_t_2002 || true
  for _ in $(seq 100); do
    bin/pipelinectl cache show usr_t_2002 2>/dev/null | grep -q '"trusted_pro": true' && break
    sleep 0.2
  done
  echo "== the trust cache item of usr_t_2002 in DynamoDB (pipelinectl cache show)"
  bin/pipelinectl cache show usr_t_2002 || true
  echo "consumer metrics:"
  curl -s "http://$WORKER_ADDR/metrics" | grep '^trustdocs_consumer_messages_total' || true
  cat <<MSG

trustdocs is running on the local stack:
  worker      http://$WORKER_ADDR   /healthz /readyz /metrics   pid $(cat "$DEMO/worker.pid"), log $DEMO/worker.log
  receiver    http://$RECEIVER_ADDR   POST /webhooks/{provider}   pid $(cat "$DEMO/receiver.pid"), log $DEMO/receiver.log
  PostgreSQL  ${DATABASE_URL}
  S3          $AWS_ENDPOINT_URL_S3 (MinIO), bucket ${DOCS_BUCKET:-docs}
  SQS + SNS   $AWS_ENDPOINT_URL_SQS (fauxqs), queues checkout, risk-windows, provider-webhooks (+ -dlq)
  DynamoDB    $AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local), table ${TRUST_CACHE_TABLE:-trust_cache}

Use it from a shell:   eval "\$(make -s up)" && bin/pipelinectl check
Stop the services:     make demo-stop
Stop the stack:        make down
MSG
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
