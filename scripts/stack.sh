#!/usr/bin/env bash
# The local stack, on loopback and embedded defaults (the README's main command):
#   two registries with sample images; `freightliner serve` with a sync scheduled every minute;
#   Prometheus with the recording and alert rules; Alertmanager routing to a notification sink that
#   prints what Slack and PagerDuty would have received; the dashboards' panels as Prometheus
#   console pages (monitoring/prometheus/consoles/, at /consoles/index.html); Grafana with the
#   dashboards when `grafana-server` is installed. Each step says how long it took.
#
#   scripts/stack.sh up          # start everything (free ports), print the URLs, leave it running
#   scripts/stack.sh up-cluster  # the same in cluster mode: PostgreSQL 15 and three serve replicas
#   scripts/stack.sh down        # stop everything (either mode)
#   scripts/stack.sh status      # what runs, and where
#
# Cluster mode (`make demo-cluster`; docs/SERVER.md#cluster-mode-replicas-on-postgresql): a real
# PostgreSQL 15 on loopback, with a password (scram-sha-256) that the replicas read from
# state_password_file, not from the URL; three `serve` replicas share its jobs, each with its own
# state directory (checkpoints), API and metrics port; Prometheus scrapes each as its own instance
# (and pod), with the same rules. The source registry sends its push events to replica 1: in
# production the registry's endpoint is the load balancer in front of the replicas (any replica
# takes an event, and the job lands in the shared store for any runner), which the demo does not
# have; three endpoints, one per replica, would deliver every event three times, to be collapsed
# by the store, which is not how one would deploy it. Everything else is as in `up`.
#
# STACK_DIR (default .state/stack) holds every process's data, config and log, and ports.env.
# STACK_SYNC_EVERY (tests) overrides the sync's schedule (e.g. 1h: only push events copy).
# STACK_FAST=1 (tests): scrape and evaluate every second (rule groups' own `interval:` too),
# shorten every alert's `for:` to 5s and schedule the sync every 5s instead of every minute, so
# that alerts (FreightlinerSyncStale waits for 3 intervals) fire within a test's patience (and, in
# cluster mode, job_lease 6s instead of 10s); the rules are otherwise the checked-in ones.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/lib/registries.sh
. scripts/lib/consoles.sh

BIN=${FREIGHTLINER_BIN:-$ROOT/build/release/freightliner}
DIR=${STACK_DIR:-$ROOT/.state/stack}
FAST=${STACK_FAST:-0}
CLUSTER=0  # up-cluster sets it
REPLICAS=3
# Cluster mode: how long a killed replica's jobs wait before another takes them over. Not under
# 6s: the runner renews its leases every job_lease / 6 counted in whole seconds, so a shorter
# lease is renewed without pause (thousands of writes a second while a job runs).
JOB_LEASE=10s
[ "$FAST" = 1 ] && JOB_LEASE=6s
PG=/usr/lib/postgresql/15/bin

# Whatever mode the stack was started in. Replicas stop before the database (a replica that
# stops normally gives its leases up, in the database), PostgreSQL before the registries.
stop_all() {
  for name in grafana prometheus alertmanager sink serve; do
    stop_pidfile "$DIR/$name/pid"
  done
  local f pids=()
  for f in "$DIR"/serve-*/pid; do
    [ -f "$f" ] || continue
    pids+=("$(cat "$f")")
    stop_pidfile "$f"
  done
  [ "${#pids[@]}" -eq 0 ] || wait_gone 20 "${pids[@]}" || kill -KILL "${pids[@]}" 2>/dev/null || true
  stop_postgres
  for name in src dst; do
    stop_pidfile "$DIR/$name/pid"
  done
}

# wait_gone SECONDS PID...: true once none of the processes runs, false after SECONDS. An exited
# process that its parent (init, for the stack's) has not reaped yet counts as gone.
wait_gone() {
  local deadline=$((SECONDS + $1)) pid alive
  shift
  while :; do
    alive=0
    for pid in "$@"; do
      case $(ps -o stat= -p "$pid" 2>/dev/null) in "" | Z*) ;; *) alive=1 ;; esac
    done
    [ "$alive" = 0 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

up() {
  [ -x "$BIN" ] || { echo "freightliner is not built: make release (or set FREIGHTLINER_BIN)" >&2; exit 1; }
  if [ "$CLUSTER" = 1 ] && [ ! -x "$PG/postgres" ]; then
    echo "cluster mode needs PostgreSQL 15 ($PG/postgres): apt-get install postgresql-15" >&2
    exit 1
  fi
  # The serve processes' directories: one, or one per replica.
  SERVES=(serve)
  [ "$CLUSTER" = 1 ] && mapfile -t SERVES < <(seq -f 'serve-%g' 1 "$REPLICAS")
  stop_all
  rm -rf "$DIR"
  mkdir -p "$DIR"/{sink,alertmanager,prometheus,grafana,images}
  local name
  for name in "${SERVES[@]}"; do mkdir -p "$DIR/$name"; done
  trap 'echo "stack: start failed; logs are in $DIR" >&2; stop_all' ERR

  step "registries started" start_registries
  step "sample images pushed" seed_images
  [ "$CLUSTER" = 1 ] && step "PostgreSQL ready" start_postgres

  API_PORTS=() METRICS_PORTS=()
  for name in "${SERVES[@]}"; do API_PORTS+=("$(free_port)"); METRICS_PORTS+=("$(free_port)"); done
  # Replica 1's in cluster mode: it receives the push events, and API and METRICS name it.
  API_PORT=${API_PORTS[0]}; METRICS_PORT=${METRICS_PORTS[0]}; SINK_PORT=$(free_port)
  AM_PORT=$(free_port); PROM_PORT=$(free_port); GRAFANA_PORT=$(free_port)
  cat > "$DIR/ports.env" <<ENV
SRC=$SRC
DST=$DST
API=http://127.0.0.1:$API_PORT
METRICS=http://127.0.0.1:$METRICS_PORT/metrics
SINK=http://127.0.0.1:$SINK_PORT
ALERTMANAGER=http://127.0.0.1:$AM_PORT
PROMETHEUS=http://127.0.0.1:$PROM_PORT
GRAFANA=http://127.0.0.1:$GRAFANA_PORT
ENV
  [ "$CLUSTER" = 1 ] && cluster_env >> "$DIR/ports.env"
  . "$DIR/ports.env"

  if [ "$CLUSTER" = 1 ]; then
    step "$REPLICAS serve replicas ready" start_serve
  else
    step "freightliner serve ready" start_serve
  fi
  # Pushes to the source reach serve as events from now on (the seed's did not: see
  # send_events_to), and are at the destination seconds later; the schedule is the backstop.
  step "source sends push events" send_events_to "$DIR/src" \
    "http://127.0.0.1:$API_PORT/api/v1/events/distribution"
  step "notification sink ready" start_sink
  step "Alertmanager ready" start_alertmanager
  step "Prometheus ready" start_prometheus
  if command -v grafana-server >/dev/null 2>&1; then step "Grafana ready" start_grafana; else start_grafana; fi
  step "first sync ended" wait_first_sync
  step "Prometheus scraped it" wait_scraped
  step "a pushed tag mirrored" mirror_new_tag
  trap - ERR
  report
}

# step DESCRIPTION COMMAND...: runs it, then says how long it took.
step() {
  local what=$1 t0 t1
  shift
  t0=$(date +%s%N)
  "$@"
  t1=$(date +%s%N)
  printf '== %-28s %6.1f s\n' "$what" "$(( (t1 - t0) / 1000000 ))e-3"
}

start_registries() {
  SRC=127.0.0.1:$(start_registry "$DIR/src")
  DST=127.0.0.1:$(start_registry "$DIR/dst")
}

seed_images() {
  local w=$DIR/images
  head -c 3000000 /dev/urandom > "$w/base.bin"
  head -c 1000000 /dev/urandom > "$w/app-v1.bin"
  head -c 1000000 /dev/urandom > "$w/app-v2.bin"
  head -c 500000 /dev/urandom > "$w/tool.bin"
  build_image "$w/oci" app-v1 amd64 "$w/base.bin" "$w/app-v1.bin" >/dev/null
  build_image "$w/oci" app-v2 amd64 "$w/base.bin" "$w/app-v2.bin" >/dev/null
  build_image "$w/oci" tools-amd64 amd64 "$w/tool.bin" >/dev/null
  build_image "$w/oci" tools-arm64 arm64 "$w/tool.bin" >/dev/null
  build_index "$w/oci" tools tools-amd64 tools-arm64
  skopeo_push "oci:$w/oci:app-v1" "docker://$SRC/team/app:v1"
  skopeo_push "oci:$w/oci:app-v2" "docker://$SRC/team/app:v2"
  skopeo_push "oci:$w/oci:tools" "docker://$SRC/team/tools:1.0"
}

# cluster_env: ports.env's lines for cluster mode: every replica, and the database (its URL has no
# password: the replicas read it from the file, and so can psql: PGPASSWORD=$(cat FILE)).
cluster_env() {
  local i
  echo "# Cluster mode: API and METRICS above are replica 1's (it receives the push events)."
  echo "REPLICAS=$REPLICAS"
  for i in "${!SERVES[@]}"; do
    echo "API_$((i + 1))=http://127.0.0.1:${API_PORTS[$i]}"
    echo "METRICS_$((i + 1))=http://127.0.0.1:${METRICS_PORTS[$i]}/metrics"
  done
  echo "POSTGRES=$PG_DSN"
  echo "POSTGRES_PASSWORD_FILE=$DIR/postgres/freightliner.password"
}

# start_postgres: PostgreSQL 15 with its data in DIR/postgres, on 127.0.0.1 only (no Unix socket)
# and a free port, every connection authenticated by password (scram-sha-256); a role and a
# database of freightliner's own (not the superuser). As the `postgres` user when run as root
# (initdb refuses root), as bench/cluster_queue.sh does. Sets PG_DSN, the URL without a password;
# the passwords are in DIR/postgres/freightliner.password and, the superuser's,
# DIR/postgres/postgres.password (mode 600 both).
start_postgres() {
  local d=$DIR/postgres as_pg=() admin_pw pw started=no
  mkdir -p "$d"
  chmod 700 "$d"
  if [ "$(id -u)" -eq 0 ]; then
    as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    chown postgres:postgres "$d"
    "${as_pg[@]}" test -w "$d" ||
      { echo "stack: the postgres user cannot reach $d (a parent directory is closed to it); set STACK_DIR elsewhere" >&2; return 1; }
  fi
  admin_pw=$(random_password)
  pw=$(random_password)
  (
    umask 077
    printf '%s\n' "$admin_pw" > "$d/postgres.password"
    printf '%s\n' "$pw" > "$d/freightliner.password"
    printf '%s\n' "$admin_pw" > "$d/initdb.pwfile"
  )
  [ "${#as_pg[@]}" -eq 0 ] || chown postgres:postgres "$d/initdb.pwfile"
  if ! "${as_pg[@]}" "$PG/initdb" -D "$d/data" -U postgres --auth=scram-sha-256 \
    --pwfile="$d/initdb.pwfile" --no-sync --encoding=UTF8 --locale=C > "$d/initdb.log" 2>&1; then
    rm -f "$d/initdb.pwfile"
    show_log "$d/initdb.log"
    return 1
  fi
  rm -f "$d/initdb.pwfile"
  # fsync off: the demo's data is thrown away with it.
  for _ in 1 2 3; do
    PG_PORT=$(free_port) || return 1
    "${as_pg[@]}" "$PG/postgres" -D "$d/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories= -c fsync=off >> "$d/postgres.log" 2>&1 &
    echo $! > "$d/pid"
    if wait_postgres "$PG_PORT" 30 "$(cat "$d/pid")"; then started=yes; break; fi
    stop_postgres  # (a port taken meanwhile: another one)
  done
  [ "$started" = yes ] || { show_log "$d/postgres.log"; return 1; }
  # The role's password goes on stdin, not in any command line.
  PGPASSWORD=$admin_pw psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d postgres > /dev/null <<SQL
CREATE ROLE freightliner LOGIN PASSWORD '$pw';
CREATE DATABASE freightliner OWNER freightliner;
SQL
  PG_DSN=postgresql://freightliner@127.0.0.1:$PG_PORT/freightliner
}

random_password() { od -An -tx1 -N18 /dev/urandom | tr -d ' \n'; }

# wait_postgres PORT SECONDS PID: until PostgreSQL accepts connections on PORT; false when process
# PID has exited first (the port was taken) or after SECONDS.
wait_postgres() {
  local deadline=$((SECONDS + $2))
  until pg_isready -q -h 127.0.0.1 -p "$1" -t 2; do
    kill -0 "$3" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$deadline" ] || { echo "PostgreSQL was not ready within $2 s" >&2; return 1; }
    sleep 0.2
  done
  kill -0 "$3" 2>/dev/null  # (not a stranger on that port)
}

# stop_postgres: a fast shutdown (SIGINT: the clients are disconnected, the data is kept), then
# an immediate one (SIGQUIT) if it takes over 30 s.
stop_postgres() {
  local f=$DIR/postgres/pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  rm -f "$f"
  kill -INT "$pid" 2>/dev/null || return 0
  wait_gone 30 "$pid" && return 0
  kill -QUIT "$pid" 2>/dev/null || true
  wait_gone 10 "$pid" || true
}

# start_serve: freightliner serve (jobs in SQLite under its state directory) or, in cluster mode,
# its replicas on the shared PostgreSQL, started together; each ready when this returns.
start_serve() {
  local i d
  for i in "${!SERVES[@]}"; do
    d=$DIR/${SERVES[$i]}
    write_serve_config "$d"
    "$BIN" --log-format json serve --config "$d/server.yaml" \
      --api-addr "127.0.0.1:${API_PORTS[$i]}" --metrics-addr "127.0.0.1:${METRICS_PORTS[$i]}" > "$d/serve.log" 2>&1 &
    echo $! > "$d/pid"
  done
  for i in "${!SERVES[@]}"; do
    d=$DIR/${SERVES[$i]}
    wait_http "http://127.0.0.1:${API_PORTS[$i]}/ready" 30 "$(cat "$d/pid")" || { show_log "$d/serve.log"; return 1; }
  done
}

# write_serve_config DIR: DIR/server.yaml and the sync's file beside it.
write_serve_config() {
  local d=$1
  cat > "$d/mirror.yaml" <<YAML
# Everything under team/ at the source, mirrored under mirror/ at the destination.
mappings:
  - source: $SRC/team
    destination: $DST/mirror
    recursive: true
YAML
  local every=1m
  [ "$FAST" = 1 ] && every=5s
  every=${STACK_SYNC_EVERY:-$every}
  cat > "$d/server.yaml" <<YAML
state_dir: $d/state
# API jobs may use any registry on this host: the demo's two, and a dead port the e2e test sends
# failures to.
allowed_registries: ["127.0.0.1:*"]
syncs:
  - name: mirror
    file: mirror.yaml
schedules:
  - sync: mirror
    every: $every
YAML
  [ "$CLUSTER" = 1 ] || return 0
  cat >> "$d/server.yaml" <<YAML
# Cluster mode: the jobs in the PostgreSQL every replica shares (each keeps its own state_dir,
# for checkpoints). The password is read from a file, as from a Secret's mount, not put in the URL.
state: $PG_DSN
state_password_file: $DIR/postgres/freightliner.password
# A killed replica's jobs are taken over this long after its last renewal (default 30s).
job_lease: $JOB_LEASE
YAML
}

start_sink() {
  node monitoring/alertmanager/notification-sink.mjs --port "$SINK_PORT" \
    --out "$DIR/sink/notifications.jsonl" > "$DIR/sink/sink.log" 2>&1 &
  echo $! > "$DIR/sink/pid"
  wait_http "http://127.0.0.1:$SINK_PORT/" 30 "$(cat "$DIR/sink/pid")" || { show_log "$DIR/sink/sink.log"; return 1; }
}

start_alertmanager() {
  local d=$DIR/alertmanager
  cp -r monitoring/alertmanager/templates "$d/"
  sed "s/127.0.0.1:9095/127.0.0.1:$SINK_PORT/g" monitoring/alertmanager/alertmanager-local.yml > "$d/alertmanager.yml"
  # Template paths in the config are relative to the config file itself.
  prometheus-alertmanager --config.file="$d/alertmanager.yml" --storage.path="$d/data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= > "$d/alertmanager.log" 2>&1 &
  echo $! > "$d/pid"
  wait_http "http://127.0.0.1:$AM_PORT/-/ready" 30 "$(cat "$d/pid")" || { show_log "$d/alertmanager.log"; return 1; }
}

start_prometheus() {
  local d=$DIR/prometheus
  freightliner_targets "${METRICS_PORTS[@]}" < monitoring/prometheus/prometheus-local.yml |
    sed -e "s/127.0.0.1:9090/127.0.0.1:$PROM_PORT/g" \
    -e "s/127.0.0.1:9093/127.0.0.1:$AM_PORT/g" -e "s/127.0.0.1:3000/127.0.0.1:$GRAFANA_PORT/g" \
    > "$d/prometheus.yml"
  cp monitoring/prometheus/recording-rules.yml monitoring/prometheus/alert-rules.yml "$d/"
  if [ "$FAST" = 1 ]; then
    sed -i -e 's/^\(  *scrape_interval:\).*/\1 1s/' -e 's/^\(  *evaluation_interval:\).*/\1 1s/' \
      -e 's/^\(  *scrape_timeout:\).*/\1 1s/' "$d/prometheus.yml"
    sed -i 's/^\(  *for:\).*/\1 5s/' "$d/alert-rules.yml"
    sed -i 's/^\(  *interval:\).*/\1 1s/' "$d/recording-rules.yml" "$d/alert-rules.yml"
  fi
  # The console pages are read from the checkout on every request; their libraries are copied,
  # since assets.lib is written beside them once the server says where its graph scripts are.
  mkdir -p "$d/console_libraries"
  cp monitoring/prometheus/console_libraries/*.lib "$d/console_libraries/"
  prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle \
    --web.console.templates="$ROOT/monitoring/prometheus/consoles" \
    --web.console.libraries="$d/console_libraries" > "$d/prometheus.log" 2>&1 &
  echo $! > "$d/pid"
  wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 60 "$(cat "$d/pid")" || { show_log "$d/prometheus.log"; return 1; }
  write_console_assets "http://127.0.0.1:$PROM_PORT" "$d/console_libraries/assets.lib"
}

# freightliner_targets PORT... < prometheus-local.yml: the file with its freightliner target
# (127.0.0.1:2112 and its labels) on PORT; with several ports, once per port, each its own
# instance and pod (freightliner-local-1, -2, ...), as a Deployment's replicas would be.
freightliner_targets() {
  awk -v ports="$*" '
    function flush(   i, b) {
      for (i = 1; i <= n; i++) {
        b = block
        gsub(/127\.0\.0\.1:2112/, "127.0.0.1:" port[i], b)
        if (n > 1) gsub(/pod: freightliner-local\n/, "pod: freightliner-local-" i "\n", b)
        printf "%s", b
      }
      grab = 0
    }
    BEGIN { n = split(ports, port, " ") }
    grab { match($0, /^ */); if ($0 != "" && RLENGTH >= indent) { block = block $0 "\n"; next }; flush() }
    /- targets: \[127\.0\.0\.1:2112\]/ { grab = 1; indent = index($0, "-"); block = $0 "\n"; next }
    n == 1 { gsub(/127\.0\.0\.1:2112/, "127.0.0.1:" port[1]) }
    { print }
    END { if (grab) flush() }'
}

start_grafana() {
  if ! command -v grafana-server >/dev/null 2>&1; then
    echo "grafana-server is not installed (Debian does not package it): install Grafana from" \
      "https://grafana.com/docs/grafana/latest/setup-grafana/installation/debian/ and run" \
      "scripts/stack.sh up again, or load monitoring/grafana/dashboards/*.json into any Grafana" \
      "with a Prometheus datasource at http://127.0.0.1:$PROM_PORT." > "$DIR/grafana/NOT-STARTED"
    return 0
  fi
  local d=$DIR/grafana home
  home=$(dirname "$(dirname "$(readlink -f "$(command -v grafana-server)")")")/share/grafana
  [ -d "$home" ] || home=/usr/share/grafana
  # The provisioning files take the Prometheus URL and the dashboards folder from the environment.
  GF_SERVER_HTTP_ADDR=127.0.0.1 GF_SERVER_HTTP_PORT=$GRAFANA_PORT GF_PATHS_DATA=$d/data \
    GF_PATHS_LOGS=$d GF_PATHS_PROVISIONING=$ROOT/monitoring/grafana/provisioning \
    FREIGHTLINER_PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT \
    FREIGHTLINER_DASHBOARDS_DIR=$ROOT/monitoring/grafana/dashboards \
    grafana-server --homepath "$home" > "$d/grafana.log" 2>&1 &
  echo $! > "$d/pid"
  wait_http "http://127.0.0.1:$GRAFANA_PORT/api/health" 60 "$(cat "$d/pid")" || { show_log "$d/grafana.log"; return 1; }
}

# The first scheduled sync runs at start (then every minute); FIRST_SYNC is its job, as the API
# shows it once it has ended.
wait_first_sync() {
  local status=""
  FIRST_SYNC=""
  for _ in $(seq 1 600); do
    FIRST_SYNC=$(curl -s "$API/api/v1/jobs?type=sync" | jq -c '.jobs[-1] // empty')
    status=$(jq -r '.status // empty' <<<"$FIRST_SYNC")
    case $status in succeeded | failed | canceled) return 0 ;; esac
    sleep 0.1
  done
}

# Prometheus starts after the first sync has copied the sample images, so the counters it first
# sees already hold those copies, and rates and ratios have nothing to show. A copy it watches
# fixes that, and is what a mirror is for: a new tag pushed to the source, at the destination
# seconds later, through the source registry's push event.
# In cluster mode, every replica's target is up too.
wait_scraped() {
  local n up
  for _ in $(seq 1 300); do
    n=$(curl -s --get --data-urlencode 'query=count(freightliner_replications_total)' \
      "$PROMETHEUS/api/v1/query" | jq -r '.data.result[0].value[1] // 0')
    up=$(curl -s --get --data-urlencode 'query=count(up{job="freightliner"} == 1)' \
      "$PROMETHEUS/api/v1/query" | jq -r '.data.result[0].value[1] // 0')
    [ "$n" -gt 0 ] 2>/dev/null && [ "$up" -ge "${#SERVES[@]}" ] 2>/dev/null && return 0
    sleep 0.2
  done
  echo "stack: Prometheus has not scraped freightliner (every replica) within 60 s" >&2
  return 1
}

mirror_new_tag() {
  local w=$DIR/images
  head -c 1000000 /dev/urandom > "$w/app-v3.bin"
  build_image "$w/oci" app-v3 amd64 "$w/base.bin" "$w/app-v3.bin" >/dev/null
  # The push is the trigger: the registry's event queues the sync narrowed to team/app:v3.
  skopeo_push "oci:$w/oci:app-v3" "docker://$SRC/team/app:v3"
  local want
  want=$(raw_digest "docker://$SRC/team/app:v3")
  local deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(raw_digest "docker://$DST/mirror/app:v3" 2>/dev/null)" = "$want" ] && return 0
    sleep 0.1
  done
  echo "stack: team/app:v3 did not reach the destination within 30 s of its push" >&2
  return 1
}

report() {
  jq -r '"sync \(.id): \(.status); \(.progress.tags_done)/\(.progress.tags_total) tags, \(.progress.bytes) bytes"' <<<"$FIRST_SYNC"
  echo "== the destination, digests compared with the source"
  local rc=0
  for image in app:v1 app:v2 app:v3 tools:1.0; do
    s=$(raw_digest "docker://$SRC/team/$image"); d=$(raw_digest "docker://$DST/mirror/$image")
    verdict=identical; [ "$s" = "$d" ] || { verdict=DIFFERENT; rc=1; }
    printf '  %-16s %s  %s\n' "mirror/$image" "$d" "$verdict"
  done
  # Links are what this machine's servers answer, not what they might: Debian's Prometheus 2.42
  # serves only its classic UI (under /classic/), and Debian's Alertmanager has no web UI.
  local ui="" am_ui
  answers "$PROMETHEUS/alerts" || ui=/classic
  if curl -s "$ALERTMANAGER/" | grep -qi 'script.js'; then
    am_ui="$ALERTMANAGER/#/alerts"
  else
    am_ui="$ALERTMANAGER (this build has no web UI; see below)"
  fi
  cat <<TXT
== the local stack is running (data and logs in $DIR)
  freightliner API   $API       (curl $API/api/v1/jobs)
  metrics            $METRICS
  dashboards         $PROMETHEUS/consoles/index.html   (the Grafana dashboards' panels, served by Prometheus)
  Prometheus         $PROMETHEUS$ui/alerts   (also $ui/graph, $ui/targets, $ui/rules)
  Alertmanager       $am_ui
  notifications      $DIR/sink/sink.log   (what Slack and PagerDuty would have received)
  registries         source http://$SRC, destination http://$DST
  alerts and silences, as Alertmanager holds them:
    amtool --alertmanager.url=$ALERTMANAGER alert query
    amtool --alertmanager.url=$ALERTMANAGER silence query
TXT
  local url
  for url in "$PROMETHEUS/consoles/index.html" "$PROMETHEUS$ui/alerts" "$PROMETHEUS$ui/graph" "$API/api/v1/jobs"; do
    answers "$url" || { echo "stack: $url does not answer 200" >&2; rc=1; }
  done
  if [ -f "$DIR/grafana/NOT-STARTED" ]; then
    echo "  Grafana            not started: $(cat "$DIR/grafana/NOT-STARTED")"
  else
    echo "  Grafana            $GRAFANA (admin/admin)"
  fi
  if [ "$CLUSTER" = 1 ]; then
    report_cluster "$ui" || rc=1
    echo "stop it with: make demo-cluster-stop   (or scripts/stack.sh down)"
  else
    echo "stop it with: make demo-stop   (or scripts/stack.sh down)"
  fi
  return $rc
}

# report_cluster UI_PREFIX: the replicas, which one ran the first sync (the jobs table's owner,
# host:pid, the lease's holder), and how to watch the cluster at work.
report_cluster() {
  local ui=$1 i pid owner runner="" rc=0 job api metrics note
  job=$(jq -r .id <<<"$FIRST_SYNC")
  owner=$(PGPASSWORD=$(cat "$POSTGRES_PASSWORD_FILE") psql -X -q -tA "$POSTGRES" \
    -c "SELECT owner FROM jobs WHERE id = '$job'") || rc=1
  echo "== cluster mode: $REPLICAS replicas share PostgreSQL $POSTGRES"
  echo "  (password in $POSTGRES_PASSWORD_FILE, read by the replicas as state_password_file)"
  for i in $(seq 1 "$REPLICAS"); do
    pid=$(cat "$DIR/serve-$i/pid")
    [ "${owner##*:}" = "$pid" ] && runner=$i
    api=API_$i metrics=METRICS_$i note=""
    [ "$i" = 1 ] && note="  (receives the push events)"
    printf '  replica %s  pid %-7s API %s  metrics %s%s\n' "$i" "$pid" "${!api}" "${!metrics}" "$note"
  done
  echo "  the first sync, $job, ran on replica ${runner:-?} (owner $owner in the jobs table)"
  local q1 q2 q3
  q1=$(jq -rn --arg e 'up{job="freightliner"}' '$e | @uri')
  q2=$(jq -rn --arg e 'sum by (instance) (freightliner_job_lease_takeovers_total)' '$e | @uri')
  q3=$(jq -rn --arg e 'max(freightliner_jobs_queued)' '$e | @uri')
  cat <<TXT
  watch the cluster (. $DIR/ports.env first):
    any replica answers for all     curl -s \$API_2/api/v1/jobs/$job | jq .status
    who ran what (owner host:pid)   PGPASSWORD=\$(cat \$POSTGRES_PASSWORD_FILE) psql \$POSTGRES -c 'SELECT id, status, owner, fence FROM jobs ORDER BY created_at DESC LIMIT 5'
    kill a replica                  kill -9 \$(cat $DIR/serve-${runner:-1}/pid)   (replica ${runner:-1})
      The others go on: jobs submitted to them run, the schedule's runs go to one of them
      (owner above), and a job the dead replica was running is taken over $JOB_LEASE after its last
      lease renewal ("taken over" in another replica's serve.log). Prometheus sees its target down
      (FreightlinerReplicaDown, a warning, fires after its for:; not FreightlinerDown, the others
      run), and counts the takeovers. (Replica 1 gone, pushes no longer reach the cluster and the
      schedule is the backstop: the registry's endpoint would be a load balancer in front of the
      replicas in production.)
        curl -s \$METRICS_2 | grep -E '^freightliner_(jobs_queued|job_lease_takeovers_total) '
        $PROMETHEUS$ui/graph?g0.expr=$q1&g0.tab=1
        $PROMETHEUS$ui/graph?g0.expr=$q2&g0.tab=1
        $PROMETHEUS$ui/graph?g0.expr=$q3&g0.tab=1   (the store's queue, alike on every replica)
TXT
  return $rc
}

answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; }

# In cluster mode, PostgreSQL and each replica (serve-1, ...) too.
status() {
  [ -f "$DIR/ports.env" ] || { echo "no stack in $DIR"; return 0; }
  cat "$DIR/ports.env"
  local names=(src dst) d
  [ -d "$DIR/postgres" ] && names+=(postgres)
  for d in "$DIR"/serve "$DIR"/serve-*; do [ -d "$d" ] && names+=("${d##*/}"); done
  for name in "${names[@]}" sink alertmanager prometheus grafana; do
    f=$DIR/$name/pid
    if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then echo "$name: running ($(cat "$f"))"; else echo "$name: stopped"; fi
  done
}

case ${1:-up} in
  up) up ;;
  up-cluster) CLUSTER=1; up ;;
  down) stop_all; echo "stack stopped (data kept in $DIR)" ;;
  status) status ;;
  *) echo "usage: scripts/stack.sh up|up-cluster|down|status" >&2; exit 2 ;;
esac
