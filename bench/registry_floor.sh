#!/usr/bin/env bash
# Benchmark (not a test): what one manifest request costs docker-registry itself on this machine,
# measured with a client that does nothing else (wrk, keep-alive). A no-op resync is a few hundred
# manifest requests, so this cost, on cores the registries share with the tool, bounds how fast any
# tool can find that nothing changed (bench/RESULTS.md, "Why the no-op target is missed").
#
#   bench/registry_floor.sh             (SECONDS_PER_RUN=10, CONNECTIONS=8)
#
# Starts a loopback registry (request logs at level info, as bench/fleet_vs_skopeo.sh runs them,
# then warnings only), pushes one small image, and runs wrk against GET /v2/floor/app/manifests/v1
# with the Accept header freightliner sends. wrk cannot time HEAD; distribution 2.8 answers a HEAD
# with the same handler, reading the same manifest, and drops the body.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-8}
WORK=$(mktemp -d /tmp/freightliner-registry-floor.XXXXXX)
cleanup() {
  for d in "$WORK"/reg-*; do stop_pidfile "$d/pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/accept.lua" <<'LUA'
wrk.headers["Accept"] = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"
LUA
head -c 100000 /dev/urandom > "$WORK/layer.bin"
build_image "$WORK/oci" app amd64 "$WORK/layer.bin" > /dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME LOGCONF: one registry, one wrk run; prints a result line.
measure() {
  local dir=$WORK/reg-$1 port pid before after out requests rate
  port=$(start_registry "$dir" "$2")
  pid=$(cat "$dir/pid")
  skopeo_push "oci:$WORK/oci:app" "docker://127.0.0.1:$port/floor/app:v1"
  # Warm up (first reads from disk, Go's heap), then measure.
  wrk -t1 -c"$CONNECTIONS" -d2s -s "$WORK/accept.lua" "http://127.0.0.1:$port/v2/floor/app/manifests/v1" > /dev/null
  before=$(cpu_ticks "$pid")
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$WORK/accept.lua" \
    "http://127.0.0.1:$port/v2/floor/app/manifests/v1")
  after=$(cpu_ticks "$pid")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  if echo "$out" | grep -q "Non-2xx"; then
    echo "wrk saw errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk -v name="$1" -v req="$requests" -v rate="$rate" -v ticks="$((after - before))" \
    -v hz="$(getconf CLK_TCK)" -v secs="$SECONDS_PER_RUN" 'BEGIN {
      cpu = ticks / hz
      printf "| %s | %d | %.0f | %.2f | %.2f cores | %.3f ms |\n", name, req, rate, cpu, cpu / secs, 1000 * cpu / req
    }'
  stop_pidfile "$dir/pid"
}

echo "docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}'), $(nproc) cores, wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, GET manifest by tag"
echo
echo "| registry logs | requests | requests/s | registry CPU s | registry CPU use | registry CPU per request |"
echo "|---|---|---|---|---|---|"
measure info "{level: info, accesslog: {disabled: true}}"
measure warn "{level: warn}"
