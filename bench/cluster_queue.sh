#!/usr/bin/env bash
# Benchmark (not a test) of cluster mode (issue 12), on a real PostgreSQL 15 and docker-registry:
#   1. the queue: dry-run replications (the queue and the planner, not the copy) posted by wrk for
#      SUBMIT_SECONDS to 1 replica on SQLite, 1 replica on PostgreSQL and 3 replicas on
#      PostgreSQL; jobs per second from the first post to the last job's end;
#   2. takeover: the replica running a slow copy (through a latency proxy) is SIGKILLed; how long
#      until another replica takes the job over, and until it succeeds (job_lease LEASE).
#
#   bench/cluster_queue.sh            (SUBMIT_SECONDS=5 LEASE=6s; needs build/release and
#                                      build/release/bench/bench_latency_proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

BIN=${FREIGHTLINER_BIN:-build/release/freightliner}
PROXY_BIN=${PROXY_BIN:-build/release/bench/bench_latency_proxy}
SUBMIT_SECONDS=${SUBMIT_SECONDS:-5}
LEASE=${LEASE:-6s}
PG=/usr/lib/postgresql/15/bin
for f in "$BIN" "$PROXY_BIN"; do [ -x "$f" ] || { echo "build first: $f" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/freightliner-cluster-bench.XXXXXX)
chmod 755 "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for r in src dst; do stop_pidfile "$WORK/$r/pid"; done
  [ -f "$WORK/pg.pid" ] && kill -INT "$(cat "$WORK/pg.pid")" 2>/dev/null && sleep 1
  rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL as the `postgres` user when run as root (initdb refuses root), trust auth on loopback.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
mkdir -p "$WORK/pg"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$WORK/pg"
"${as_pg[@]}" "$PG/initdb" -D "$WORK/pg/data" -U freightliner -A trust --no-sync >/dev/null
PGPORT=$(free_port)
"${as_pg[@]}" "$PG/postgres" -D "$WORK/pg/data" -p "$PGPORT" -k "$WORK/pg" \
  -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 >"$WORK/pg.log" 2>&1 &
echo $! > "$WORK/pg.pid"
until pg_isready -q -h 127.0.0.1 -p "$PGPORT"; do sleep 0.2; done
psql_q() { psql -X -q -h 127.0.0.1 -p "$PGPORT" -U freightliner -d postgres -c "$1" >/dev/null; }

SRC=127.0.0.1:$(start_registry "$WORK/src")
DST=127.0.0.1:$(start_registry "$WORK/dst")
mkdir -p "$WORK/files"
head -c 100000 /dev/urandom > "$WORK/files/small.bin"
build_image "$WORK/oci" small amd64 "$WORK/files/small.bin" >/dev/null
skopeo_push "oci:$WORK/oci:small" "docker://$SRC/bench/small:v1"
head -c $((16 * 1024 * 1024)) /dev/urandom > "$WORK/files/big.bin"
build_image "$WORK/oci" big amd64 "$WORK/files/big.bin" >/dev/null
skopeo_push "oci:$WORK/oci:big" "docker://$SRC/bench/big:v1"
# The takeover's copy: 200 ms round trips to the destination make it last seconds.
"$PROXY_BIN" "$DST" 200 > "$WORK/proxy.port" &
pids+=($!)
until [ -s "$WORK/proxy.port" ]; do sleep 0.1; done
SLOW=127.0.0.1:$(cat "$WORK/proxy.port")

apis=()
metrics=()
replica_pids=()
# start_replicas COUNT STATE_LINE: COUNT serve processes with that `state:` line (or none).
start_replicas() {
  apis=()
  metrics=()
  replica_pids=()
  local i api_port metrics_port dir
  for i in $(seq 1 "$1"); do
    dir="$WORK/replica-$RANDOM$i"
    mkdir -p "$dir"
    printf '%s\njob_lease: %s\nmax_concurrent_jobs: 4\nallowed_registries: ["%s", "%s", "%s"]\n' \
      "$2" "$LEASE" "$SRC" "$DST" "$SLOW" > "$dir/server.yaml"
    api_port=$(free_port)
    metrics_port=$(free_port)
    "$BIN" --log-level info serve --config "$dir/server.yaml" --api-addr "127.0.0.1:$api_port" \
      --metrics-addr "127.0.0.1:$metrics_port" --state-dir "$dir/state" > "$dir/serve.log" 2>&1 &
    replica_pids+=($!)
    pids+=($!)
    apis+=("http://127.0.0.1:$api_port")
    metrics+=("http://127.0.0.1:$metrics_port/metrics")
    echo "$dir" > "$WORK/last-dir-$i"
  done
  for api in "${apis[@]}"; do wait_http "$api/ready" 30; done
}
stop_replicas() {
  for p in "${replica_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${replica_pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
now() { date +%s.%N; }
submit() {
  curl -sf -H 'Content-Type: application/json' -d "$2" "$1/api/v1/replicate" | jq -r .job_id
}
# Jobs that ended succeeded, on all replicas (from their metrics: a page of the API holds 1000).
count_succeeded() {
  local m total=0
  for m in "${metrics[@]}"; do
    total=$((total + $(curl -sf "$m" |
      awk '/^freightliner_jobs_total\{.*status="succeeded".*type="replicate"/ {s += $2} END {printf "%d", s}')))
  done
  echo "$total"
}

# measure LABEL COUNT STATE_LINE: wrk posts dry-run jobs for SUBMIT_SECONDS (2 connections per
# replica), then the queue drains; jobs/s counts from the first post to the last job's end.
measure() {
  start_replicas "$2" "$3"
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"source":"$SRC/bench/small:v1","destination":"$DST/q/small:v1","dry_run":true}'
LUA
  local t0 t_submitted t1 api total
  t0=$(now)
  for api in "${apis[@]}"; do
    wrk -t1 -c2 -d"${SUBMIT_SECONDS}s" -s "$WORK/post.lua" "$api/api/v1/replicate" > "$WORK/wrk-${api##*:}.txt" &
  done
  wait $(jobs -p | tail -n "${#apis[@]}") 2>/dev/null || true
  t_submitted=$(now)
  total=$(cat "$WORK"/wrk-*.txt | awk '/requests in/ {s += $1} END {print s}')
  rm -f "$WORK"/wrk-*.txt
  until [ "$(count_succeeded)" -ge "$total" ]; do sleep 0.1; done
  t1=$(now)
  printf '| %s | %s | %.1f s | %.1f s | %.0f |\n' "$1" "$total" "$(bc <<<"$t_submitted - $t0")" \
    "$(bc <<<"$t1 - $t0")" "$(bc <<<"$total / ($t1 - $t0)")"
  stop_replicas
}

echo "| store, replicas | dry-run jobs | posted for | all succeeded after | jobs/s |"
echo "|---|---|---|---|---|"
measure "SQLite, 1" 1 ""
psql_q "CREATE DATABASE q1"
measure "PostgreSQL, 1" 1 "state: postgresql://freightliner@127.0.0.1:$PGPORT/q1"
psql_q "CREATE DATABASE q3"
measure "PostgreSQL, 3" 3 "state: postgresql://freightliner@127.0.0.1:$PGPORT/q3"

# Takeover: a slow copy on one of three replicas; kill the replica that runs it.
psql_q "CREATE DATABASE takeover"
start_replicas 3 "state: postgresql://freightliner@127.0.0.1:$PGPORT/takeover"
job=$(submit "${apis[0]}" "{\"source\":\"$SRC/bench/big:v1\",\"destination\":\"$SLOW/t/big:v1\"}")
until [ "$(curl -sf "${apis[0]}/api/v1/jobs/$job" | jq -r .status)" = running ]; do sleep 0.1; done
sleep 1
# The runner is the replica whose jobs_active is 1.
victim=-1
for i in 0 1 2; do
  if curl -sf "${metrics[$i]}" | grep -q '^freightliner_jobs_active 1'; then victim=$i; fi
done
[ "$victim" -ge 0 ] || { echo "no replica runs the job" >&2; exit 1; }
t_kill=$(now)
kill -9 "${replica_pids[$victim]}"
survivor=$(( (victim + 1) % 3 ))
until grep -qs "job $job: taken over" "$(cat "$WORK/last-dir-1")/serve.log" \
  "$(cat "$WORK/last-dir-2")/serve.log" "$(cat "$WORK/last-dir-3")/serve.log"; do sleep 0.05; done
t_taken=$(now)
until [ "$(curl -sf "${apis[$survivor]}/api/v1/jobs/$job" | jq -r .status)" = succeeded ]; do sleep 0.1; done
t_done=$(now)
echo
echo "| takeover (job_lease $LEASE) | seconds |"
echo "|---|---|"
printf '| SIGKILL of the runner -> another replica takes the job over | %.1f |\n' "$(bc <<<"$t_taken - $t_kill")"
printf '| SIGKILL -> the job succeeded elsewhere | %.1f |\n' "$(bc <<<"$t_done - $t_kill")"
stop_replicas
