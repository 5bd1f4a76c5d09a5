#!/usr/bin/env bash
# Benchmark (not a test) of `freightliner serve`:
#   1. wrk against GET /health and GET /api/v1/jobs (with 200 jobs in the store);
#   2. wrk against /metrics while 8 replications of 64 MiB images run, and single scrape times;
#   3. a soak of job submissions (SOAK_SECONDS, default 600): resident memory at its start and end.
#
#   bench/serve_wrk.sh            (SOAK_SECONDS=60 for a quick run)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

BIN=${FREIGHTLINER_BIN:-build/release/freightliner}
SOAK_SECONDS=${SOAK_SECONDS:-600}
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }
WORK=$(mktemp -d /tmp/freightliner-serve-bench.XXXXXX)
cleanup() {
  stop_pidfile "$WORK/serve.pid"
  for r in src dst; do stop_pidfile "$WORK/$r/pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

SRC=127.0.0.1:$(start_registry "$WORK/src")
DST=127.0.0.1:$(start_registry "$WORK/dst")
echo "seeding images..." >&2
mkdir -p "$WORK/files"
head -c 100000 /dev/urandom > "$WORK/files/small.bin"
build_image "$WORK/oci" small amd64 "$WORK/files/small.bin" >/dev/null
skopeo_push "oci:$WORK/oci:small" "docker://$SRC/bench/small:v1"
for i in 1 2 3 4 5 6 7 8; do
  head -c $((64 * 1024 * 1024)) /dev/urandom > "$WORK/files/big$i.bin"
  build_image "$WORK/oci" "big$i" amd64 "$WORK/files/big$i.bin" >/dev/null
  skopeo_push "oci:$WORK/oci:big$i" "docker://$SRC/bench/big$i:v1"
  rm -f "$WORK/files/big$i.bin"
done

API_PORT=$(free_port)
METRICS_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT
METRICS=http://127.0.0.1:$METRICS_PORT/metrics
# Eight jobs at once (the default is 4), so that all eight large copies run while /metrics is asked.
# API jobs may name only the registries the config allows.
printf 'max_concurrent_jobs: 8\nallowed_registries: ["%s", "%s"]\n' "$SRC" "$DST" > "$WORK/server.yaml"
"$BIN" --log-level warn serve --config "$WORK/server.yaml" --api-addr "127.0.0.1:$API_PORT" \
  --metrics-addr "127.0.0.1:$METRICS_PORT" --state-dir "$WORK/state" > "$WORK/serve.log" 2>&1 &
echo $! > "$WORK/serve.pid"
PID=$(cat "$WORK/serve.pid")
wait_http "$API/ready" 20

submit() { curl -sf -H 'Content-Type: application/json' -d "$1" "$API/api/v1/replicate" | jq -r .job_id; }
wait_idle() {
  until [ "$(curl -sf "$API/api/v1/jobs?status=running" | jq '.jobs | length')" = 0 ] &&
    [ "$(curl -sf "$API/api/v1/jobs?status=queued" | jq '.jobs | length')" = 0 ]; do sleep 0.2; done
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
# wrk's "Requests/sec" and the 99% latency line of --latency.
wrk_summary() {
  local out
  out=$(wrk -t2 -c16 -d"${2:-10}"s --latency "$1")
  printf '%s req/s, p99 %s' "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

for i in $(seq 1 200); do
  submit "{\"source\":\"$SRC/bench/small:v1\",\"destination\":\"$DST/seed/small:v$i\",\"dry_run\":true}" >/dev/null
done
wait_idle

echo
echo "| what | result |"
echo "|---|---|"
echo "| GET /health (wrk -t2 -c16 -d10s) | $(wrk_summary "$API/health") |"
echo "| GET /api/v1/jobs, 200 jobs (wrk -t2 -c16 -d10s) | $(wrk_summary "$API/api/v1/jobs") |"

for i in 1 2 3 4 5 6 7 8; do
  submit "{\"source\":\"$SRC/bench/big$i:v1\",\"destination\":\"$DST/busy/big$i:v1\"}" >/dev/null
done
sleep 0.5
active=$(curl -sf "$METRICS" | awk '/^freightliner_jobs_active/ {print $2}')
echo "| GET /metrics while $active replications run (wrk -t2 -c4 -d5s) | $(wrk_summary "$METRICS" 5) |"
scrapes=()
for _ in 1 2 3 4 5; do scrapes+=("$(curl -s -o /dev/null -w '%{time_total}' "$METRICS")"); done
echo "| one /metrics scrape during the copies (5 scrapes, seconds) | ${scrapes[*]} |"
wait_idle

# Soak: submissions as fast as one client goes, alternating a real copy of a small image (forced, so
# it pushes again) and a dry run; bounded by time and by count.
submit "{\"source\":\"$SRC/bench/small:v1\",\"destination\":\"$DST/soak/small:v1\"}" >/dev/null
wait_idle
start_rss=$(rss_mib)
deadline=$((SECONDS + SOAK_SECONDS))
jobs=0
while [ $SECONDS -lt $deadline ] && [ $jobs -lt 200000 ]; do
  submit "{\"source\":\"$SRC/bench/small:v1\",\"destination\":\"$DST/soak/small:v1\",\"force\":true}" >/dev/null
  submit "{\"source\":\"$SRC/bench/small:v1\",\"destination\":\"$DST/soak/small:v1\",\"dry_run\":true}" >/dev/null
  jobs=$((jobs + 2))
  if [ $((jobs % 200)) = 0 ]; then wait_idle; fi
done
wait_idle
end_rss=$(rss_mib)
echo "| soak: $jobs jobs in ${SOAK_SECONDS}s | RSS $start_rss MiB at start, $end_rss MiB at end |"
