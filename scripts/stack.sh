#!/usr/bin/env bash
# The local stack, on loopback and embedded defaults (the README's main command):
#   two registries with sample images; `freightliner serve` with a sync scheduled every minute;
#   Prometheus with the recording and alert rules; Alertmanager routing to a notification sink that
#   prints what Slack and PagerDuty would have received; the dashboards' panels as Prometheus
#   console pages (monitoring/prometheus/consoles/, at /consoles/index.html); Grafana with the
#   dashboards when `grafana-server` is installed. Each step says how long it took.
#
#   scripts/stack.sh up      # start everything (free ports), print the URLs, leave it running
#   scripts/stack.sh down    # stop everything
#   scripts/stack.sh status  # what runs, and where
#
# STACK_DIR (default .state/stack) holds every process's data, config and log, and ports.env.
# STACK_SYNC_EVERY (tests) overrides the sync's schedule (e.g. 1h: only push events copy).
# STACK_FAST=1 (tests): scrape and evaluate every second (rule groups' own `interval:` too),
# shorten every alert's `for:` to 5s and schedule the sync every 5s instead of every minute, so
# that alerts (FreightlinerSyncStale waits for 3 intervals) fire within a test's patience; the
# rules are otherwise the checked-in ones.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/lib/registries.sh
. scripts/lib/consoles.sh

BIN=${FREIGHTLINER_BIN:-$ROOT/build/release/freightliner}
DIR=${STACK_DIR:-$ROOT/.state/stack}
FAST=${STACK_FAST:-0}

stop_all() {
  for name in grafana prometheus alertmanager sink serve src dst; do
    stop_pidfile "$DIR/$name/pid"
  done
}

up() {
  [ -x "$BIN" ] || { echo "freightliner is not built: make release (or set FREIGHTLINER_BIN)" >&2; exit 1; }
  stop_all
  rm -rf "$DIR"
  mkdir -p "$DIR"/{serve,sink,alertmanager,prometheus,grafana,images}
  trap 'echo "stack: start failed; logs are in $DIR" >&2; stop_all' ERR

  step "registries started" start_registries
  step "sample images pushed" seed_images

  API_PORT=$(free_port); METRICS_PORT=$(free_port); SINK_PORT=$(free_port)
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
  . "$DIR/ports.env"

  step "freightliner serve ready" start_serve
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

start_serve() {
  local d=$DIR/serve
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
  "$BIN" --log-format json serve --config "$d/server.yaml" \
    --api-addr "127.0.0.1:$API_PORT" --metrics-addr "127.0.0.1:$METRICS_PORT" > "$d/serve.log" 2>&1 &
  echo $! > "$d/pid"
  wait_http "http://127.0.0.1:$API_PORT/ready" 30 "$(cat "$d/pid")" || { show_log "$d/serve.log"; return 1; }
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
  sed -e "s/127.0.0.1:2112/127.0.0.1:$METRICS_PORT/g" -e "s/127.0.0.1:9090/127.0.0.1:$PROM_PORT/g" \
    -e "s/127.0.0.1:9093/127.0.0.1:$AM_PORT/g" -e "s/127.0.0.1:3000/127.0.0.1:$GRAFANA_PORT/g" \
    monitoring/prometheus/prometheus-local.yml > "$d/prometheus.yml"
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
wait_scraped() {
  local n
  for _ in $(seq 1 300); do
    n=$(curl -s --get --data-urlencode 'query=count(freightliner_replications_total)' \
      "$PROMETHEUS/api/v1/query" | jq -r '.data.result[0].value[1] // 0')
    [ "$n" -gt 0 ] 2>/dev/null && return 0
    sleep 0.2
  done
  echo "stack: Prometheus has not scraped freightliner within 60 s" >&2
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
  echo "stop it with: make demo-stop   (or scripts/stack.sh down)"
  return $rc
}

answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; }

status() {
  [ -f "$DIR/ports.env" ] || { echo "no stack in $DIR"; return 0; }
  cat "$DIR/ports.env"
  for name in src dst serve sink alertmanager prometheus grafana; do
    f=$DIR/$name/pid
    if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then echo "$name: running ($(cat "$f"))"; else echo "$name: stopped"; fi
  done
}

case ${1:-up} in
  up) up ;;
  down) stop_all; echo "stack stopped (data kept in $DIR)" ;;
  status) status ;;
  *) echo "usage: scripts/stack.sh up|down|status" >&2; exit 2 ;;
esac
