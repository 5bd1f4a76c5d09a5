#!/usr/bin/env bash
# Benchmark (not a test) of replication on push: how long after `skopeo copy` returns a pushed tag
# is at the destination with the pushed digest, on loopback, with real docker-registry 2.8 source
# and destination and one `freightliner serve` (embedded SQLite, default settings otherwise):
#   1. events: the source sends its notifications to serve (as scripts/stack.sh configures it);
#      the sync has no schedule, so only the push events copy. PUSHES pushes, one at a time,
#      each a new tag of its own small image (one 16 KiB random layer);
#   2. cron: the same sync scheduled every CRON_EVERY seconds and no events (what a user of the
#      schedule alone gets). CRON_PUSHES pushes, spread evenly over one interval (with a random
#      start), since the wait is the time to the next scheduled run: its expected value is half
#      the interval.
# Each push is timed from skopeo's return to the first poll that sees the destination's tag at the
# pushed digest: a HEAD of the manifest (events) or the tag list then a HEAD (cron) every POLL
# seconds, so a figure is late by up to one poll (and, in the cron arm, up to one push of ~0.3 s,
# during which nothing polls). Percentiles are nearest-rank; a push not there within its bound
# (WAIT seconds, or 2 intervals + WAIT for cron) ranks above every other and shows as "> bound".
#
#   bench/push_latency.sh      (PUSHES=100 CRON_PUSHES=10 CRON_EVERY=60 WAIT=10 POLL=0.05;
#                               about 5 minutes; needs build/release or FREIGHTLINER_BIN)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

BIN=${FREIGHTLINER_BIN:-build/release/freightliner}
PUSHES=${PUSHES:-100}
CRON_PUSHES=${CRON_PUSHES:-10}
CRON_EVERY=${CRON_EVERY:-60}
WAIT=${WAIT:-10}
POLL=${POLL:-0.05}
[ -x "$BIN" ] || { echo "build first: make release (or set FREIGHTLINER_BIN)" >&2; exit 1; }
for tool in skopeo jq curl docker-registry; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/freightliner-push-latency.XXXXXX)
SERVE_PID=""
stop_serve() {
  [ -n "$SERVE_PID" ] || return 0
  # The second signal skips the drain delay.
  kill "$SERVE_PID" 2>/dev/null || true
  sleep 0.2
  kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=""
}
cleanup() {
  stop_serve
  for r in "$WORK"/reg-*; do stop_pidfile "$r/pid"; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# now_us: the time in microseconds (bash's own clock: no process per reading).
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
ACCEPT='application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'
# dest_digest HOST REPO TAG: the digest the registry answers a HEAD of the manifest with (or "").
dest_digest() {
  curl -s -m 2 -o /dev/null -I -H "Accept: $ACCEPT" -w '%header{docker-content-digest}' \
    "http://$1/v2/$2/manifests/$3" || true
}

# new_image DIR: a one-layer OCI image layout in DIR (its index holds only that image), written by
# hand (umoci takes ~0.3 s an image); prints the manifest's digest.
new_image() {
  local dir=$1 b diff_id layer layer_size config config_size manifest
  b=$dir/blobs/sha256
  mkdir -p "$b" "$dir/rootfs/data"
  head -c 16384 /dev/urandom > "$dir/rootfs/data/payload.bin"
  tar -C "$dir/rootfs" --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$dir/layer.tar" data
  diff_id=sha256:$(sha256sum < "$dir/layer.tar" | cut -d' ' -f1)
  gzip -n -c "$dir/layer.tar" > "$dir/layer.tar.gz"
  layer=$(sha256sum < "$dir/layer.tar.gz" | cut -d' ' -f1)
  layer_size=$(stat -c %s "$dir/layer.tar.gz")
  mv "$dir/layer.tar.gz" "$b/$layer"
  rm -rf "$dir/layer.tar" "$dir/rootfs"
  jq -nc --arg d "$diff_id" \
    '{architecture: "amd64", os: "linux", config: {}, rootfs: {type: "layers", diff_ids: [$d]}}' > "$dir/c"
  config=$(sha256sum < "$dir/c" | cut -d' ' -f1)
  config_size=$(stat -c %s "$dir/c")
  mv "$dir/c" "$b/$config"
  jq -nc --arg c "sha256:$config" --argjson cs "$config_size" --arg l "sha256:$layer" --argjson ls "$layer_size" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}' > "$dir/m"
  manifest=$(sha256sum < "$dir/m" | cut -d' ' -f1)
  jq -nc --arg m "sha256:$manifest" --argjson s "$(stat -c %s "$dir/m")" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $s}]}' \
    > "$dir/index.json"
  mv "$dir/m" "$b/$manifest"
  echo '{"imageLayoutVersion": "1.0.0"}' > "$dir/oci-layout"
  echo "sha256:$manifest"
}

# push DIR REF: skopeo copy of the layout, no retries (a failed push is a failed benchmark).
push() {
  skopeo copy --quiet --dest-tls-verify=false "oci:$1" "docker://$2"
}

# start_serve EVERY: serve with the sync `mirror` (SRC/bench -> DST/mirror), scheduled every EVERY
# seconds, or on no schedule when EVERY is empty. Sets API.
start_serve() {
  local d=$WORK/serve-$RANDOM api_port metrics_port
  mkdir -p "$d"
  printf 'mappings:\n  - source: %s/bench\n    destination: %s/mirror\n    recursive: true\n    allow_empty: true\n' \
    "$SRC" "$DST" > "$d/mirror.yaml"
  printf 'state_dir: %s/state\nallowed_registries: ["127.0.0.1:*"]\nsyncs:\n  - name: mirror\n    file: mirror.yaml\n' \
    "$d" > "$d/server.yaml"
  [ -z "$1" ] || printf 'schedules:\n  - sync: mirror\n    every: %ss\n' "$1" >> "$d/server.yaml"
  api_port=$(free_port)
  metrics_port=$(free_port)
  "$BIN" --log-format json serve --config "$d/server.yaml" --api-addr "127.0.0.1:$api_port" \
    --metrics-addr "127.0.0.1:$metrics_port" > "$d/serve.log" 2>&1 &
  SERVE_PID=$!
  API=http://127.0.0.1:$api_port
  METRICS=http://127.0.0.1:$metrics_port/metrics
  wait_http "$API/ready" 30 "$SERVE_PID" || { show_log "$d/serve.log"; exit 1; }
}

# summary LABEL FILE BOUND: a table row from FILE (one latency in microseconds a line, "inf" for a
# push not there within BOUND seconds).
summary() {
  sort -g "$2" | awk -v label="$1" -v bound="$3" '
    function fmt(x) { return x == "inf" ? "> " bound " s" : sprintf("%.2f s", x / 1e6) }
    { v[NR] = $1; if ($1 != "inf") { sum += $1; got++ } }
    END {
      p50 = v[int((NR * 50 + 99) / 100)]; p95 = v[int((NR * 95 + 99) / 100)]
      printf "| %s | %d | %d | %s | %s | %s | %s |\n", label, NR, got, fmt(p50), fmt(p95), fmt(v[NR]),
        got ? sprintf("%.2f s", sum / got / 1e6) : "-"
    }'
}

echo "building $PUSHES + $CRON_PUSHES images..." >&2
declare -A want
for i in $(seq -f '%03g' 1 "$PUSHES"); do want[a$i]=$(new_image "$WORK/img/a$i"); done
for i in $(seq -f '%03g' 1 "$CRON_PUSHES"); do want[c$i]=$(new_image "$WORK/img/c$i"); done

# 1. Events.
SRC=127.0.0.1:$(start_registry "$WORK/reg-src")
DST=127.0.0.1:$(start_registry "$WORK/reg-dst")
start_serve ""
send_events_to "$WORK/reg-src" "$API/api/v1/events/distribution"
echo "events: $PUSHES pushes to $SRC/bench/app, serve at $API" >&2
: > "$WORK/events.txt"
missed=()
push_us=0
for i in $(seq -f '%03g' 1 "$PUSHES"); do
  tag=a$i
  t_push=$(now_us)
  push "$WORK/img/$tag" "$SRC/bench/app:$tag"
  t0=$(now_us)
  push_us=$((push_us + t0 - t_push))
  latency=inf
  n=0
  while :; do
    if [ "$(dest_digest "$DST" mirror/app "$tag")" = "${want[$tag]}" ]; then
      latency=$(( $(now_us) - t0 ))
      break
    fi
    # Once a second: a tag whose event jobs all ended without copying it will not come.
    if (( ++n % 20 == 0 )) && curl -s "$API/api/v1/jobs?type=sync&limit=20" | jq -e --arg t "$tag" \
      '[.jobs[] | select(.request.tag == $t)] | length > 0 and all(.status == "succeeded" or .status == "failed")' >/dev/null &&
      [ "$(dest_digest "$DST" mirror/app "$tag")" != "${want[$tag]}" ]; then
      break
    fi
    (( $(now_us) - t0 < WAIT * 1000000 )) || break
    sleep "$POLL"
  done
  echo "$latency" >> "$WORK/events.txt"
  [ "$latency" != inf ] || missed+=("$tag")
done
curl -s "$API/api/v1/jobs?type=sync&limit=1000" > "$WORK/events-jobs.json"
event_jobs=$(jq '[.jobs[] | select(.trigger == "event")] | length' "$WORK/events-jobs.json")
event_failed=$(jq -r '[.jobs[] | select(.trigger == "event" and .status == "failed")] | length' "$WORK/events-jobs.json")
lag=$(curl -s "$METRICS" | awk '$1 == "freightliner_event_replication_lag_seconds_sum" {s = $2}
  $1 == "freightliner_event_replication_lag_seconds_count" {c = $2} END {if (c) printf "%.3f s over %d copies", s / c, c}')
stop_serve

# 2. The schedule alone: fresh registries, no notifications.
SRC=127.0.0.1:$(start_registry "$WORK/reg-src2")
DST=127.0.0.1:$(start_registry "$WORK/reg-dst2")
start_serve "$CRON_EVERY"
# The first scheduled run starts at once; the pushes begin after it.
sleep 2
spacing_us=$((CRON_EVERY * 1000000 / CRON_PUSHES))
start=$(( $(now_us) + spacing_us * RANDOM / 32768 ))
echo "cron: $CRON_PUSHES pushes, one every $((spacing_us / 1000)) ms, sync every $CRON_EVERY s" >&2
cron_bound=$((2 * CRON_EVERY + WAIT))
declare -A pushed_at
next=1
pending=()
: > "$WORK/cron.txt"
hard_stop=$(( $(now_us) + (CRON_EVERY + cron_bound + 30) * 1000000 ))
while (( next <= CRON_PUSHES || ${#pending[@]} > 0 )); do
  t=$(now_us)
  (( t < hard_stop )) || break
  if (( next <= CRON_PUSHES && t >= start + (next - 1) * spacing_us )); then
    tag=c$(printf '%03d' "$next")
    push "$WORK/img/$tag" "$SRC/bench/app:$tag"
    pushed_at[$tag]=$(now_us)
    pending+=("$tag")
    next=$((next + 1))
  fi
  if (( ${#pending[@]} > 0 )); then
    listed=$(curl -s -m 2 "http://$DST/v2/mirror/app/tags/list" | jq -r '.tags[]?' 2>/dev/null || true)
    still=()
    for tag in "${pending[@]}"; do
      if grep -qx "$tag" <<<"$listed" && [ "$(dest_digest "$DST" mirror/app "$tag")" = "${want[$tag]}" ]; then
        echo $(( $(now_us) - pushed_at[$tag] )) >> "$WORK/cron.txt"
      elif (( $(now_us) - pushed_at[$tag] > cron_bound * 1000000 )); then
        echo inf >> "$WORK/cron.txt"
      else
        still+=("$tag")
      fi
    done
    pending=("${still[@]}")
  fi
  sleep "$POLL"
done
for tag in "${pending[@]}"; do echo inf >> "$WORK/cron.txt"; done
stop_serve

echo "| arm | pushes | there within the bound | p50 | p95 | max | mean of those there |"
echo "|---|---|---|---|---|---|---|"
summary "push events (sync on no schedule)" "$WORK/events.txt" "$WAIT"
summary "schedule every ${CRON_EVERY} s, no events" "$WORK/cron.txt" "$cron_bound"
echo
echo "events arm: skopeo copy took $((push_us / PUSHES / 1000)) ms a push on average; $event_jobs event jobs, $event_failed failed; serve's lag histogram: mean ${lag:-none}"
if (( ${#missed[@]} > 0 )); then
  echo "not at the destination within ${WAIT} s: ${missed[*]}"
  jq -r '.jobs[] | select(.trigger == "event" and .status == "failed") |
    "  job \(.id) (\(.request.tag)): \(.error.message)"' "$WORK/events-jobs.json" | head -n 20
fi
