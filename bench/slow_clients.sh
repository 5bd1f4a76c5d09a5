#!/usr/bin/env bash
# Benchmark (not a test) of `freightliner serve` beside slow clients: the latency of GET /health,
# GET /metrics and a job submission (a dry run), first alone, then while bench_slow_clients holds
# CONNS connections on the API port and CONNS on the metrics port (a tenth of them send a request
# line a byte a second, ten bytes, the rest send nothing). Target: under 100 ms.
#
#   bench/slow_clients.sh          (N=100 requests per figure, CONNS=500, TIMEOUT=5 s a request)
#
# A figure whose first 3 requests all time out is reported as starved and not measured further.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

BIN=${FREIGHTLINER_BIN:-build/release/freightliner}
HOLDER=${SLOW_CLIENTS_BIN:-build/release/bench/bench_slow_clients}
N=${N:-100}
CONNS=${CONNS:-500}
TIMEOUT=${TIMEOUT:-5}
HOLD_SECONDS=$((N * 3 * TIMEOUT / 10 + 120))  # bounds the holders' life even if this script dies
[ -x "$BIN" ] && [ -x "$HOLDER" ] || { echo "build first: cmake --build --preset release --target freightliner bench_slow_clients" >&2; exit 1; }
WORK=$(mktemp -d /tmp/freightliner-slow-bench.XXXXXX)
cleanup() {
  stop_pidfile "$WORK/holder-api.pid"
  stop_pidfile "$WORK/holder-metrics.pid"
  stop_pidfile "$WORK/serve.pid"
  stop_pidfile "$WORK/reg/pid"
  rm -rf "$WORK"
}
trap cleanup EXIT

REG=127.0.0.1:$(start_registry "$WORK/reg")
head -c 10000 /dev/urandom > "$WORK/layer.bin"
build_image "$WORK/oci" small amd64 "$WORK/layer.bin" >/dev/null
skopeo_push "oci:$WORK/oci:small" "docker://$REG/bench/small:v1"

API_PORT=$(free_port)
METRICS_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT
METRICS=http://127.0.0.1:$METRICS_PORT/metrics
# API jobs may name only the registries the config allows.
echo "allowed_registries: [\"$REG\"]" > "$WORK/server.yaml"
"$BIN" --log-level warn serve --config "$WORK/server.yaml" --api-addr "127.0.0.1:$API_PORT" \
  --metrics-addr "127.0.0.1:$METRICS_PORT" --state-dir "$WORK/state" > "$WORK/serve.log" 2>&1 &
echo $! > "$WORK/serve.pid"
wait_http "$API/ready" 20 "$(cat "$WORK/serve.pid")"
ulimit -n 4096 2>/dev/null || true

JOB="{\"source\":\"$REG/bench/small:v1\",\"destination\":\"$REG/mirror/small:v1\",\"dry_run\":true}"
health() { curl -s -o /dev/null -m "$TIMEOUT" -w '%{http_code} %{time_total}' "$API/health"; }
scrape() { curl -s -o /dev/null -m "$TIMEOUT" -w '%{http_code} %{time_total}' "$METRICS"; }
submit() {
  curl -s -o /dev/null -m "$TIMEOUT" -w '%{http_code} %{time_total}' \
    -H 'Content-Type: application/json' -d "$JOB" "$API/api/v1/replicate"
}

# measure NAME FUNCTION: a table row "| NAME | p50 | p99 | max | failed |" in milliseconds over N
# calls (nearest-rank percentiles); a call fails when it is not 2xx within TIMEOUT.
measure() {
  local name=$1 fn=$2 i out code t failed=0 times=()
  for i in $(seq 1 "$N"); do
    out=$("$fn" || true)
    code=${out%% *}
    t=${out#* }
    if [[ $code == 2* ]]; then
      times+=("$t")
    else
      failed=$((failed + 1))
      if [ "$i" = 3 ] && [ "$failed" = 3 ]; then
        echo "| $name | starved: 3 of 3 calls got no answer within ${TIMEOUT}s | | | |"
        return
      fi
    fi
  done
  printf '%s\n' "${times[@]}" | sort -g | awk -v name="$name" -v failed="$failed" -v n="$N" '
    { t[NR] = $1 * 1000 }
    END {
      p50 = t[int((NR * 50 + 99) / 100)]; p99 = t[int((NR * 99 + 99) / 100)]
      printf "| %s | %.1f | %.1f | %.1f | %d of %d |\n", name, p50, p99, t[NR], failed, n
    }'
}

table() {
  echo "| $1 | p50 ms | p99 ms | max ms | failed |"
  echo "|---|---|---|---|---|"
  measure "GET /health" health
  measure "GET /metrics" scrape
  measure "POST /api/v1/replicate (dry run)" submit
}

rss_mib() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$(cat "$WORK/serve.pid")/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$(cat "$WORK/serve.pid")/status"; }

echo
table "alone"
echo "serve: RSS $(rss_mib), $(threads) threads"

idle=$((CONNS * 9 / 10))
trickling=$((CONNS - idle))
for target in api:$API_PORT metrics:$METRICS_PORT; do
  name=${target%%:*}
  "$HOLDER" 127.0.0.1 "${target#*:}" "$idle" "$trickling" "$HOLD_SECONDS" \
    > "$WORK/holder-$name.log" 2>&1 &
  echo $! > "$WORK/holder-$name.pid"
done
for name in api metrics; do
  deadline=$((SECONDS + 60))
  until grep -q holding "$WORK/holder-$name.log"; do
    if (( SECONDS > deadline )) || ! kill -0 "$(cat "$WORK/holder-$name.pid")" 2>/dev/null; then
      echo "the $name holder did not connect:" >&2
      cat "$WORK/holder-$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
done
# Held, not refused nor closed: client sockets established (one the server closed sits in
# CLOSE-WAIT, one it has not accepted yet in SYN-SENT).
held() {
  local target
  for target in api:$API_PORT metrics:$METRICS_PORT; do
    printf '%s port %s; ' "${target%%:*}" "$(ss -Htn state established "( dport = :${target#*:} )" | wc -l)"
  done
}
sleep 2  # the trickle under way
echo
echo "connections established before: $(held)"
table "beside $CONNS slow connections on each port ($idle idle, $trickling trickling)"
echo "connections established after: $(held)"
echo "serve: RSS $(rss_mib), $(threads) threads"
