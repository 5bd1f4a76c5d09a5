#!/usr/bin/env bash
# Benchmark (not a test) of issue 3: `freightliner replicate-tree` against `skopeo sync --all` on a
# fleet of repositories, in one run, on the same loopback registries.
#
#   bench/fleet_vs_skopeo.sh
#
# Builds a corpus (default: 36 repositories, 332 tags, base layers shared between images,
# multi-arch indexes, three 100 MiB layers of random bytes), pushes it to a source registry with
# skopeo, then times, for each tool into its own destination registry:
#   full     copy into an empty destination
#   noop     resync with everything already there
#   changed  resync after 10% of the tags were re-pushed at the source with new content
# once on plain loopback and once with RTT_MS of added round-trip latency in front of every
# registry (bench_latency_proxy, the same proxy for both tools). After every case both
# destinations are checked against the source: every tag's manifest digest, every child manifest
# of an index, every blob (HEAD, size). The raw limit (bench_raw_blob_copy: GET + monolithic PUT
# of every unique blob over 8 keep-alive connections, then the mounts and manifests that complete
# the copy) is timed next to each full copy. Registries log every request (level info), from which
# the report counts requests, uploads and mounts; it also gives each process's CPU time. The
# report goes to stdout and RESULTS_DIR/report.md; bench/RESULTS.md is written from it by hand.
#
# Needs: build/bench/{freightliner,bench/bench_latency_proxy,bench/bench_raw_blob_copy}
#   cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release
#   cmake --build build/bench --target freightliner bench_latency_proxy bench_raw_blob_copy
# and docker-registry, skopeo, umoci, jq, curl, GNU time.
#
# Environment: RESULTS_DIR (default /tmp/freightliner-fleet-<time>: report.md, logs, request
# counts), RTT_MS (20), TOOL_TIMEOUT (1200 s per tool invocation), APP_REPOS (32), APP_TAGS (10),
# BIG_LAYERS (3), BIG_MIB (100), FULL_RUNS (3: loopback full copies, each into fresh registries,
# each next to a raw-limit run), NOOP_RUNS (3), NOOP_RUNS_RTT (1), MAX_LOAD (2.5: before each
# timed invocation, wait while the 1-minute load is higher or a compiler runs; the report says
# whether a compiler ran during each timing), KEEP_WORK=1 keeps registries' storage and logs,
# WORK_ROOT (/dev/shm when it has 8 GiB free, else /tmp: where registries store and the corpus
# is built).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

BIN=${FREIGHTLINER_BIN:-build/bench/freightliner}
PROXY_BIN=${PROXY_BIN:-build/bench/bench/bench_latency_proxy}
RAW_BIN=${RAW_BIN:-build/bench/bench/bench_raw_blob_copy}
for b in "$BIN" "$PROXY_BIN" "$RAW_BIN"; do
  [ -x "$b" ] || { echo "missing $b: see the build commands at the top of $0" >&2; exit 1; }
done
RTT_MS=${RTT_MS:-20}
TOOL_TIMEOUT=${TOOL_TIMEOUT:-1200}
APP_REPOS=${APP_REPOS:-32}
APP_TAGS=${APP_TAGS:-10}
MULTI_REPOS=${MULTI_REPOS:-3}
MULTI_TAGS=${MULTI_TAGS:-3}
BIG_LAYERS=${BIG_LAYERS:-3}
BIG_MIB=${BIG_MIB:-100}
FULL_RUNS=${FULL_RUNS:-3}
NOOP_RUNS=${NOOP_RUNS:-3}
NOOP_RUNS_RTT=${NOOP_RUNS_RTT:-1}
MAX_LOAD=${MAX_LOAD:-2.5}
RESULTS_DIR=${RESULTS_DIR:-/tmp/freightliner-fleet-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"/{logs,requests,verify}
RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd)
# The registries keep their storage in memory (tmpfs) when there is room for it: on this machine's
# virtual disk (ext4 mounted with discard), the writeback and discards of one run land at random
# moments in later ones, and the same copy took 4.3, 6.5 and 8.0 s in three runs in a row (3.1 to
# 3.3 s on tmpfs). WORK_ROOT=/tmp measures with the disk.
WORK_ROOT=${WORK_ROOT:-/dev/shm}
if [ "$(df --output=avail -k "$WORK_ROOT" 2>/dev/null | tail -1 || echo 0)" -lt $((8 * 1024 * 1024)) ]; then
  WORK_ROOT=/tmp
fi
WORK=$(mktemp -d "$WORK_ROOT/freightliner-fleet-work.XXXXXX")
cleanup() {
  local p
  for p in "$WORK"/proxy-*.pid; do [ -f "$p" ] && stop_pidfile "$p"; done
  for p in "$WORK"/reg-*/pid; do [ -f "$p" ] && stop_pidfile "$p"; done
  if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

REPORT=$RESULTS_DIR/report.md
say() { echo "[$(date +%T)] $*" >&2; }
now() { date +%s.%N; }
ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'

# ---------------------------------------------------------------------------------------------
# Registries (logging every request) and latency proxies.

# start_logged_registry NAME: like start_registry, with request logs; prints the port.
start_logged_registry() {
  start_registry "$WORK/reg-$1" "{level: info, accesslog: {disabled: true}}"
}
reglog() { echo "$WORK/reg-$1/registry.log"; }
# drop_registry NAME: stops it and, unless KEEP_WORK=1, frees its storage (its log stays).
drop_registry() {
  stop_pidfile "$WORK/reg-$1/pid"
  if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK/reg-$1/storage"; fi
}

# start_proxy UPSTREAM_PORT: a latency proxy in front of 127.0.0.1:UPSTREAM_PORT; prints its port.
start_proxy() {
  local out=$WORK/proxy-$1.out port
  "$PROXY_BIN" "127.0.0.1:$1" "$RTT_MS" > "$out" 2>&1 &
  echo $! > "$WORK/proxy-$1.pid"  # (this runs in a subshell: the parent finds it by file)
  for _ in $(seq 1 50); do
    port=$(head -1 "$out" 2>/dev/null || true)
    if [ -n "$port" ]; then
      wait_http "http://127.0.0.1:$port/v2/" 10 && { echo "$port"; return 0; }
    fi
    sleep 0.1
  done
  echo "latency proxy did not start: $(cat "$out")" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------
# The corpus.

L=$WORK/oci
F=$WORK/files
rand_file() { head -c "$2" /dev/urandom > "$F/$1"; echo "$F/$1"; }
# derive BASE_TAG NEW_TAG FILE...: NEW_TAG = BASE_TAG plus one layer per FILE (the base's layers
# are shared, blob for blob).
derive() {
  local base=$1 tag=$2
  shift 2
  umoci config --image "$L:$base" --tag "$tag" --config.label "bench.tag=$tag"
  local f
  for f in "$@"; do umoci insert --rootless --image "$L:$tag" "$f" "/data/$(basename "$f")"; done
}

APP_BASES=4
ARCHES=(amd64 arm64 ppc64le)
app_repo() { printf 'app%02d' "$1"; }
multi_repo() { printf 'multi%02d' "$1"; }
# Tags re-pushed with new content for the "changed" case of round A (loopback) and B (latency):
# one tag of every app repository and a multi-arch index or two: 10% of the tags.
changed_tags() {  # ROUND -> lines "REPO TAG"
  local round=$1 shift=0 r
  [ "$round" = B ] && shift=5
  for r in $(seq 0 $((APP_REPOS - 1))); do
    echo "$(app_repo "$r") v1.$(( (r + shift) % APP_TAGS ))"
  done
  if [ "$round" = A ]; then
    echo "$(multi_repo 0) v1"
    if [ "$MULTI_REPOS" -gt 1 ]; then echo "$(multi_repo 1) v2"; fi
  else
    echo "$(multi_repo $((MULTI_REPOS - 1))) v1"
    echo "$(multi_repo 0) v$MULTI_TAGS"
  fi
}

build_multi() {  # OCI_TAG: an index over one image per architecture
  local name=$1 a parts=()
  for a in "${ARCHES[@]}"; do
    derive "arch-$a" "$name-$a" "$(rand_file "$name-$a.bin" $((256 * 1024)))"
    parts+=("$name-$a")
  done
  build_index "$L" "$name" "${parts[@]}"
}

build_corpus() {
  mkdir -p "$F"
  umoci init --layout "$L"
  local b r t m a n
  # Base images shared by the application repositories.
  local -a base_sizes=("8 4" "8 2" "6" "10 1")
  for b in $(seq 0 $((APP_BASES - 1))); do
    umoci new --image "$L:base$b"
    umoci config --image "$L:base$b" --architecture amd64 --os linux
    n=0
    for mib in ${base_sizes[$b]}; do
      n=$((n + 1))
      umoci insert --rootless --image "$L:base$b" "$(rand_file "base$b-$n.bin" $((mib * 1024 * 1024)))" "/base/$n.bin"
    done
  done
  for a in "${ARCHES[@]}"; do
    umoci new --image "$L:arch-$a"
    umoci config --image "$L:arch-$a" --architecture "$a" --os linux
    umoci insert --rootless --image "$L:arch-$a" "$(rand_file "arch-$a.bin" $((3 * 1024 * 1024)))" /base/arch.bin
  done
  # Application repositories: base + a dependency layer shared by the repository's tags + a
  # layer of its own (32 KiB to 1 MiB).
  for r in $(seq 0 $((APP_REPOS - 1))); do
    local repo
    repo=$(app_repo "$r")
    derive "base$((r % APP_BASES))" "$repo-deps" "$(rand_file "$repo-deps.bin" $((2 * 1024 * 1024)))"
    for t in $(seq 0 $((APP_TAGS - 1))); do
      derive "$repo-deps" "$repo-v1.$t" "$(rand_file "$repo-v1.$t.bin" $(( (RANDOM % 993 + 32) * 1024 )))"
    done
  done
  for m in $(seq 0 $((MULTI_REPOS - 1))); do
    for t in $(seq 1 "$MULTI_TAGS"); do build_multi "$(multi_repo "$m")-v$t"; done
  done
  for t in $(seq 1 "$BIG_LAYERS"); do
    derive base2 "big-v$t" "$(rand_file "big-v$t.bin" $((BIG_MIB * 1024 * 1024)))"
  done
  # The new content of the changed tags, built now so that nothing is built between timings.
  local round repo tag
  for round in A B; do
    while read -r repo tag; do
      case $repo in
        app*) derive "$repo-deps" "$repo-$tag-$round" "$(rand_file "$repo-$tag-$round.bin" $(( (RANDOM % 993 + 32) * 1024 )))" ;;
        multi*) build_multi "$repo-$tag-$round" ;;
      esac
    done < <(changed_tags "$round")
  done
  # A repository that appears later (case "newrepo"): its images share the base layers and one
  # repository's dependency layer with repositories the destinations already hold.
  derive base0 newrepo-v1 "$(rand_file newrepo-v1.bin $((300 * 1024)))"
  derive "$(app_repo 1)-deps" newrepo-v2 "$(rand_file newrepo-v2.bin $((300 * 1024)))"
  derive base3 newrepo-v3 "$(rand_file newrepo-v3.bin $((300 * 1024)))"
  rm -rf "$F"
}
newrepo_tags() { printf 'newrepo-v%d newrepo v%d\n' 1 1 2 2 3 3; }

# corpus_tags -> lines "OCI_TAG REPO TAG" of the initial corpus.
corpus_tags() {
  local r t m
  for r in $(seq 0 $((APP_REPOS - 1))); do
    for t in $(seq 0 $((APP_TAGS - 1))); do echo "$(app_repo "$r")-v1.$t $(app_repo "$r") v1.$t"; done
  done
  for m in $(seq 0 $((MULTI_REPOS - 1))); do
    for t in $(seq 1 "$MULTI_TAGS"); do echo "$(multi_repo "$m")-v$t $(multi_repo "$m") v$t"; done
  done
  for t in $(seq 1 "$BIG_LAYERS"); do echo "big-v$t big v$t"; done
}

seed() {  # lines "OCI_TAG REPO TAG" on stdin -> pushed to SRC/fleet/REPO:TAG, one at a time
  local oci repo tag
  while read -r oci repo tag; do
    rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
    skopeo_push "oci:$L:$oci" "docker://$SRC/fleet/$repo:$tag" < /dev/null
  done
}

# ---------------------------------------------------------------------------------------------
# Walking a registry and checking a copy.

# fetch_manifests HOST LIST DIR: LIST has "REPO REF" lines; writes DIR/N (N = line number) and
# prints "REPO REF sha256:HASH" (hash of the bytes served; "missing" when not a manifest).
fetch_manifests() {
  local host=$1 list=$2 dir=$3 n=0 repo ref
  rm -rf "$dir"
  mkdir -p "$dir"
  : > "$dir.cfg"
  while read -r repo ref; do
    n=$((n + 1))
    printf 'url = "http://%s/v2/%s/manifests/%s"\noutput = "%s/%d"\n' "$host" "$repo" "$ref" "$dir" "$n" >> "$dir.cfg"
  done < "$list"
  if [ "$n" -gt 0 ]; then curl -s -H "$ACCEPT" -K "$dir.cfg" || true; fi
  n=0
  while read -r repo ref; do
    n=$((n + 1))
    if [ -s "$dir/$n" ] && jq -e '.schemaVersion == 2' "$dir/$n" > /dev/null 2>&1; then
      echo "$repo $ref sha256:$(sha256sum < "$dir/$n" | cut -d' ' -f1)"
    else
      echo "$repo $ref missing"
    fi
  done < "$list"
}

# walk_source DIR: the source's tags, digests, child manifests and blobs under fleet/:
#   tags.tsv "REPO TAG DIGEST"; children.tsv "REPO DIGEST"; refs.tsv "REPO DIGEST SIZE" (every
#   blob of every image manifest, per repository); blobs.tsv "DIGEST SIZE REPO" (unique blobs)
walk_source() {
  local dir=$1 repo
  mkdir -p "$dir"
  : > "$dir/tags.list"
  for repo in $(curl -sf "http://$SRC/v2/_catalog?n=1000" | jq -r '.repositories[]' | grep '^fleet/'); do
    curl -sf "http://$SRC/v2/$repo/tags/list?n=1000" | jq -r --arg r "$repo" '.tags[] | "\($r) \(.)"' >> "$dir/tags.list"
  done
  fetch_manifests "$SRC" "$dir/tags.list" "$dir/m" > "$dir/tags.tsv"
  if grep -q missing "$dir/tags.tsv"; then echo "source manifests missing" >&2; return 1; fi
  paste -d' ' "$dir/tags.list" <(seq 1 "$(wc -l < "$dir/tags.list")") | while read -r repo _ n; do
    jq -r --arg r "$repo" 'select(.manifests) | .manifests[] | "\($r) \(.digest)"' "$dir/m/$n"
  done > "$dir/children.tsv"
  fetch_manifests "$SRC" "$dir/children.tsv" "$dir/c" > "$dir/children.check"
  : > "$dir/refs.tsv"
  local kind
  for kind in m c; do
    local list=$dir/tags.list
    [ "$kind" = c ] && list=$dir/children.tsv
    paste -d' ' <(cut -d' ' -f1 "$list") <(seq 1 "$(wc -l < "$list")") | while read -r repo n; do
      [ -s "$dir/$kind/$n" ] || continue
      jq -r --arg r "$repo" 'select(.layers) | (.config, .layers[]) | "\($r) \(.digest) \(.size)"' "$dir/$kind/$n"
    done >> "$dir/refs.tsv"
  done
  sort -u "$dir/refs.tsv" -o "$dir/refs.tsv"
  awk '!seen[$2]++ {print $2, $3, $1}' "$dir/refs.tsv" > "$dir/blobs.tsv"
  # For the raw copier's complete mode: the other (repository, blob) pairs, mounted from the
  # repository that got the upload; then child manifests (phase 1) and tags (phase 2).
  awk 'NR == FNR {first[$1] = $3; next} first[$2] != $1 {print $1, $2, first[$2]}' "$dir/blobs.tsv" "$dir/refs.tsv" > "$dir/mounts.tsv"
  { sed 's/^/1 /' "$dir/children.tsv" | sort -u; sed 's/^/2 /' "$dir/tags.list"; } > "$dir/manifests.tsv"
}

# verify_copy SRCWALK DST_PORT NAME [PREFIX]: the destination 127.0.0.1:DST_PORT/PREFIX/* (PREFIX
# "mirror" by default, for source repository fleet/*) has every source tag with the source's
# digest, every child manifest and every blob (with its size).
verify_copy() {
  local walk=$1 host=127.0.0.1:$2 name=$3 out=$RESULTS_DIR/verify/$3 bad=0 prefix=${4:-mirror}
  mkdir -p "$out"
  sed "s#^fleet/#$prefix/#" "$walk/tags.list" > "$out/tags.list"
  fetch_manifests "$host" "$out/tags.list" "$WORK/verify-m" > "$out/tags.tsv"
  paste -d' ' <(cut -d' ' -f3 "$walk/tags.tsv") <(cut -d' ' -f3 "$out/tags.tsv") | awk '$1 != $2' > "$out/tag-mismatches"
  sed "s#^fleet/#$prefix/#" "$walk/children.tsv" > "$out/children.list"
  fetch_manifests "$host" "$out/children.list" "$WORK/verify-c" | awk '$2 != $3' > "$out/child-mismatches"
  awk -v h="$host" -v p="$prefix/" '{sub(/^fleet\//, p, $1); printf "url = \"http://%s/v2/%s/blobs/%s\"\noutput = \"/dev/null\"\n", h, $1, $2}' "$walk/refs.tsv" > "$out/heads.cfg"
  curl -s -I -w '%{http_code} %header{content-length}\n' -K "$out/heads.cfg" > "$out/heads.out" || true
  paste -d' ' "$walk/refs.tsv" "$out/heads.out" | awk '$4 != 200 || $5 != $3' > "$out/blob-mismatches"
  local tags children refs
  tags=$(wc -l < "$walk/tags.tsv"); children=$(wc -l < "$walk/children.tsv"); refs=$(wc -l < "$walk/refs.tsv")
  for f in tag-mismatches child-mismatches blob-mismatches; do
    if [ -s "$out/$f" ]; then bad=1; say "VERIFY $name: $(wc -l < "$out/$f") $f (see $out/$f)"; fi
  done
  if [ "$bad" = 0 ]; then
    say "verified $name: $tags tags, $children child manifests, $refs blob references match the source"
    echo "ok ($tags tags, $children child manifests, $refs blobs)" > "$out/result"
  else
    echo "FAILED" > "$out/result"
  fi
  return $bad
}

# ---------------------------------------------------------------------------------------------
# Running the tools.
# Running the tools.

busy_now() { pgrep -x cc1plus || pgrep -x cc1 || pgrep -x ld || pgrep -x ninja; }

# wait_quiet: before timing, wait (up to 30 min) while a compiler runs or the 1-minute load is
# above MAX_LOAD (our own previous case counts too: this is also a cool-down). Prints the load.
wait_quiet() {
  local waited=0 load
  while true; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if ! busy_now > /dev/null && [ "$(echo "$load <= $MAX_LOAD" | bc)" = 1 ]; then break; fi
    if [ "$waited" -ge 1800 ]; then say "still busy (load $load) after 30 min; timing anyway"; break; fi
    [ "$waited" = 0 ] && say "waiting for a quiet machine (load $load$(busy_now > /dev/null && echo ', a compiler runs'))"
    sleep 10
    waited=$((waited + 10))
  done
  cut -d' ' -f1 /proc/loadavg
}

forget_skopeo_blob_cache() {
  rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb \
    "${XDG_DATA_HOME:-$HOME/.local/share}/containers/cache/blob-info-cache-v1.boltdb"
}

# cpu_seconds PID: user + system CPU time of a process so far.
CLK_TCK=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$CLK_TCK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
regpid() { cat "$WORK/reg-$1/pid"; }

# log_requests LOG_SEGMENT UA: "COUNT METHOD KIND STATUS SERVER_MS" for UA's requests, where
# SERVER_MS is the sum of the registry's own durations for them.
log_requests() {
  awk -v ua="useragent=\"?$2" '/msg="response completed/ && $0 ~ ua' "$1" |
    sed -E 's/.*http\.request\.method=([A-Z]+) .*http\.request\.uri="?([^ "]*)"? .*http\.response\.duration="?([^ "]*)"? .*http\.response\.status=([0-9]+).*/\1 \2 \4 \3/' |
    awk '{m=$1; u=$2; s=$3; d=$4; k="other"; ms=d + 0;
      if (d ~ /µs$/) ms = ms / 1000; else if (d ~ /ms$/) ms = ms; else if (d ~ /s$/) ms = ms * 1000;
      if (u ~ /\/blobs\/uploads\/\?.*mount=/) k="blob-mount";
      else if (u ~ /\/blobs\/uploads\/(\?|$)/) k="blob-upload-start";
      else if (u ~ /\/blobs\/uploads\//) k="blob-upload";
      else if (u ~ /\/blobs\//) k="blob";
      else if (u ~ /\/manifests\//) k="manifest";
      else if (u ~ /\/tags\/list/) k="tags";
      else if (u ~ /_catalog/) k="catalog";
      else if (u ~ /^\/v2\/$/) k="ping";
      key = m " " k " " s; n[key]++; t[key] += ms}
      END {for (key in n) printf "%d %s %.0f\n", n[key], key, t[key]}' | sort -k2,2 -k3,3 -k4,4
}

declare -A T RSS LOAD REQ CPU BUSY RAW
# run_tool PHASE CASE TOOL RUN SRC_HOST DST_HOST DST_REG: times one invocation of TOOL from
# SRC_HOST (a registry or its proxy) to DST_HOST/mirror; DST_REG names the registry behind it.
run_tool() {
  local phase=$1 case=$2 tool=$3 run=$4 src=$5 dst=$6 dstreg=$7 key="$1/$2/$3/$4"
  local log=$RESULTS_DIR/logs/$phase-$case-$tool-$run
  local src_mark dst_mark t0 t1 ua rc=0 sampler src_cpu dst_cpu
  LOAD[$key]=$(wait_quiet)
  src_mark=$(wc -l < "$(reglog src)")
  dst_mark=$(wc -l < "$(reglog "$dstreg")")
  src_cpu=$(cpu_seconds "$(regpid src)")
  dst_cpu=$(cpu_seconds "$(regpid "$dstreg")")
  (while true; do busy_now > /dev/null && echo busy; sleep 0.5; done) > "$log.busy" 2>/dev/null &
  sampler=$!
  if [ "$tool" = skopeo ]; then
    ua=skopeo
    {
      echo "$src:"
      echo "  tls-verify: false"
      echo "  images:"
      cut -d' ' -f1 "$WALK/tags.list" | sort -u | sed 's/^/    /; s/$/: []/'
    } > "$log.yaml"
    forget_skopeo_blob_cache
    t0=$(now)
    /usr/bin/time -f '%e %M %U %S' -o "$log.time" timeout "$TOOL_TIMEOUT" \
      skopeo sync --all --src yaml --dest docker --src-tls-verify=false --dest-tls-verify=false \
      --retry-times 3 "$log.yaml" "$dst/mirror" > "$log.out" 2>&1 || rc=$?
    t1=$(now)
  else
    # One state directory per destination, as a user's default one: later runs see what earlier
    # runs recorded (blob locations to mount from, what each destination tag was left at).
    ua=freightliner
    local extra=()
    [ "$tool" = fl-assume ] && extra=(--assume-destination-unchanged)
    t0=$(now)
    /usr/bin/time -f '%e %M %U %S' -o "$log.time" timeout "$TOOL_TIMEOUT" \
      "$BIN" -o json replicate-tree "$src/fleet" "$dst/mirror" "${extra[@]}" \
      --state-dir "$WORK/state-$dstreg" > "$log.json" 2> "$log.out" || rc=$?
    t1=$(now)
  fi
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  BUSY[$key]=$([ -s "$log.busy" ] && echo yes || echo no)
  T[$key]=$(echo "$t1 - $t0" | bc -l)
  RSS[$key]=$(tail -1 "$log.time" | awk '{printf "%.1f", $2 / 1024}')
  CPU[$key]="$(tail -1 "$log.time" | awk '{printf "%.2f", $3 + $4}') $(awk -v a="$(cpu_seconds "$(regpid src)")" -v b="$src_cpu" 'BEGIN {printf "%.2f", a - b}') $(awk -v a="$(cpu_seconds "$(regpid "$dstreg")")" -v b="$dst_cpu" 'BEGIN {printf "%.2f", a - b}')"
  [ "$rc" = 0 ] || say "$key exited with $rc (see $log.out)"
  sleep 0.5  # the registries' last log lines
  tail -n +"$((src_mark + 1))" "$(reglog src)" | grep -F "useragent=$ua" > "$log.src-registry.log" || true
  tail -n +"$((dst_mark + 1))" "$(reglog "$dstreg")" > "$log.dst-registry.log"
  log_requests "$log.src-registry.log" "$ua" > "$RESULTS_DIR/requests/$phase-$case-$tool-$run-src.txt"
  log_requests "$log.dst-registry.log" "$ua" > "$RESULTS_DIR/requests/$phase-$case-$tool-$run-dst.txt"
  REQ[$key]=$(cat "$RESULTS_DIR/requests/$phase-$case-$tool-$run-"{src,dst}.txt | awk '{s += $1} END {print s + 0}')
  say "$key: $(printf '%.2f' "${T[$key]}") s, ${REQ[$key]} requests, CPU s (tool, source registry, destination registry) ${CPU[$key]}, peak RSS ${RSS[$key]} MiB, load before ${LOAD[$key]}, compiler seen: ${BUSY[$key]}"
  return "$rc"
}

# run_raw PHASE RUN SRC_HOST DST_HOST DST_REG DST_PORT: the raw copier, complete mode (blobs,
# then mounts, then manifests: a full copy with nothing but the necessary requests), checked.
run_raw() {
  local key=raw/$1/$2 log=$RESULTS_DIR/logs/raw-$1-$2 src_mark dst_mark src_cpu dst_cpu
  LOAD[$key]=$(wait_quiet)
  src_mark=$(wc -l < "$(reglog src)")
  dst_mark=$(wc -l < "$(reglog "$5")")
  src_cpu=$(cpu_seconds "$(regpid src)")
  dst_cpu=$(cpu_seconds "$(regpid "$5")")
  /usr/bin/time -f '%e %M %U %S' -o "$log.time" "$RAW_BIN" "$3" "$4" "$WALK/blobs.tsv" 8 raw \
    "$WALK/mounts.tsv" "$WALK/manifests.tsv" > "$log.json" 2> "$log.err" || say "raw copy failed: $(head -3 "$log.err")"
  RAW[$key]=$(jq -r .seconds "$log.json")
  RAW[$key/total]=$(jq -r .total_seconds "$log.json")
  CPU[$key]="$(tail -1 "$log.time" | awk '{printf "%.2f", $3 + $4}') $(awk -v a="$(cpu_seconds "$(regpid src)")" -v b="$src_cpu" 'BEGIN {printf "%.2f", a - b}') $(awk -v a="$(cpu_seconds "$(regpid "$5")")" -v b="$dst_cpu" 'BEGIN {printf "%.2f", a - b}')"
  verify_copy "$WALK" "$6" "raw-$1-$2" raw/fleet || true
  sleep 0.5
  tail -n +"$((src_mark + 1))" "$(reglog src)" | grep -F "useragent=bench_raw_blob_copy" > "$log.src-registry.log" || true
  tail -n +"$((dst_mark + 1))" "$(reglog "$5")" > "$log.dst-registry.log"
  log_requests "$log.src-registry.log" bench_raw_blob_copy > "$RESULTS_DIR/requests/raw-$1-$2-src.txt"
  log_requests "$log.dst-registry.log" bench_raw_blob_copy > "$RESULTS_DIR/requests/raw-$1-$2-dst.txt"
  say "raw limit ($1, run $2): blobs ${RAW[$key]} s ($(jq -r .blobs "$log.json") blobs, $(jq -r .bytes "$log.json") bytes), complete copy ${RAW[$key/total]} s (+$(jq -r .mounts "$log.json") mounts, $(jq -r .manifests "$log.json") manifests), $(jq -r .connections "$log.json") connections, CPU s (raw, source registry, destination registry) ${CPU[$key]}, load before ${LOAD[$key]}"
}

count() {  # FILE METHOD KIND STATUS
  awk -v m="$2" -v k="$3" -v s="$4" '$2 == m && $3 == k && $4 == s {n += $1} END {print n + 0}' "$1"
}

# uploads_and_mounts PHASE CASE TOOL RUN: "uploads mounts digests-uploaded-twice" at the destination
uploads_and_mounts() {
  local f=$RESULTS_DIR/requests/$1-$2-$3-$4-dst.txt log=$RESULTS_DIR/logs/$1-$2-$3-$4.dst-registry.log
  local up mo dup
  up=$(count "$f" PUT blob-upload 201)
  mo=$(count "$f" POST blob-mount 201)
  dup=$(grep 'msg="response completed' "$log" | grep 'http.request.method=PUT' | grep 'http.response.status=201' |
    grep -o 'digest=sha256%3A[0-9a-f]*' | sort | uniq -d | wc -l || true)
  echo "$up $mo $dup"
}

# ---------------------------------------------------------------------------------------------
# Main.

START=$(date +%s)
say "results in $RESULTS_DIR"
SRC_PORT=$(start_logged_registry src)
SRC=127.0.0.1:$SRC_PORT
say "building the corpus (random layers; the ${BIG_MIB} MiB ones take a while to compress)"
build_corpus
say "pushing the corpus to $SRC with skopeo, one image at a time"
corpus_tags | seed
WALK=$WORK/walk0
walk_source "$WALK"
cp "$WALK/blobs.tsv" "$RESULTS_DIR/blobs.tsv"
N_REPOS=$(cut -d' ' -f1 "$WALK/tags.list" | sort -u | wc -l)
N_TAGS=$(wc -l < "$WALK/tags.tsv")
N_INDEXES=$(for f in "$WALK"/m/*; do jq -r 'select(.manifests) | 1' "$f"; done | wc -l)
N_CHILDREN=$(wc -l < "$WALK/children.tsv")
N_BLOBS=$(wc -l < "$WALK/blobs.tsv")
N_REFS=$(wc -l < "$WALK/refs.tsv")
BYTES=$(awk '{s += $2} END {print s}' "$WALK/blobs.tsv")
N_BIG=$(awk -v m=$((BIG_MIB * 1024 * 1024)) '$2 >= m {n++} END {print n + 0}' "$WALK/blobs.tsv")
N_SHARED=$(cut -d' ' -f2 "$WALK/refs.tsv" | sort | uniq -d | wc -l)
say "corpus: $N_REPOS repositories, $N_TAGS tags ($N_INDEXES indexes over $N_CHILDREN platform manifests), $N_BLOBS unique blobs ($N_SHARED in several repositories), $N_REFS blob references, $BYTES bytes"

# new_destinations PHASE RUN: fresh, empty destination registries for both tools (behind latency
# proxies in the rtt phase); stops the previous ones. Sets S_REG F_REG (names), S_HOST F_HOST
# (what the tools talk to), S_PORT F_PORT (the registries themselves, for checks).
S_REG="" F_REG=""
new_destinations() {
  local r
  for r in "$S_REG" "$F_REG"; do [ -n "$r" ] && drop_registry "$r"; done
  S_REG=dst-skopeo-$1-$2
  F_REG=dst-freightliner-$1-$2
  S_PORT=$(start_logged_registry "$S_REG")
  F_PORT=$(start_logged_registry "$F_REG")
  if [ "$1" = rtt ]; then
    S_HOST=127.0.0.1:$(start_proxy "$S_PORT")
    F_HOST=127.0.0.1:$(start_proxy "$F_PORT")
  else
    S_HOST=127.0.0.1:$S_PORT
    F_HOST=127.0.0.1:$F_PORT
  fi
}

# run_case PHASE CASE RUN SRC_HOST: skopeo, then freightliner, each checked after.
run_case() {
  say "$1/$2 (run $3): skopeo sync"
  run_tool "$1" "$2" skopeo "$3" "$4" "$S_HOST" "$S_REG" || true
  verify_copy "$WALK" "$S_PORT" "$1-$2-skopeo-$3" || true
  say "$1/$2 (run $3): freightliner replicate-tree"
  run_tool "$1" "$2" freightliner "$3" "$4" "$F_HOST" "$F_REG" || true
  verify_copy "$WALK" "$F_PORT" "$1-$2-freightliner-$3" || true
}

# run_noop_assuming PHASE RUNS SRC_HOST: the no-op again, freightliner with
# --assume-destination-unchanged, into the freightliner destination of the full copy.
run_noop_assuming() {
  local i
  for i in $(seq 1 "$2"); do
    say "$1/noop (run $i): freightliner replicate-tree --assume-destination-unchanged"
    run_tool "$1" noop fl-assume "$i" "$3" "$F_HOST" "$F_REG" || true
  done
}

push_changed() {  # PHASE ROUND
  say "$1: re-pushing $(changed_tags "$2" | wc -l) tags with new content (round $2)"
  local repo tag
  while read -r repo tag; do
    forget_skopeo_blob_cache
    skopeo_push "oci:$L:$repo-$tag-$2" "docker://$SRC/fleet/$repo:$tag" < /dev/null
  done < <(changed_tags "$2")
  changed_tags "$2" > "$RESULTS_DIR/changed-$1.txt"
  WALK=$WORK/walk-$1-$2
  walk_source "$WALK"
}

# Phase 1: plain loopback. Each full-copy run gets fresh destinations (and the raw limit is
# measured next to it); the no-op runs repeat on the last ones.
for i in $(seq 1 "$FULL_RUNS"); do
  new_destinations loopback "$i"
  RAW_REG=raw-loopback-$i
  RAW_PORT=$(start_logged_registry "$RAW_REG")
  run_raw loopback "$i" "$SRC" "127.0.0.1:$RAW_PORT" "$RAW_REG" "$RAW_PORT"
  drop_registry "$RAW_REG"
  run_case loopback full "$i" "$SRC"
done
for i in $(seq 1 "$NOOP_RUNS"); do run_case loopback noop "$i" "$SRC"; done
run_noop_assuming loopback "$NOOP_RUNS" "$SRC"
push_changed loopback A
run_case loopback changed 1 "$SRC"
say "loopback: pushing a new repository fleet/newrepo whose base layers the destinations hold"
newrepo_tags | seed
WALK=$WORK/walk-loopback-newrepo
walk_source "$WALK"
run_case loopback newrepo 1 "$SRC"
N_TAGS_RTT=$(wc -l < "$WALK/tags.tsv")
N_BLOBS_RTT=$(wc -l < "$WALK/blobs.tsv")

# Phase 2: RTT_MS of added latency in front of every registry (the same proxy program for both).
PSRC=127.0.0.1:$(start_proxy "$SRC_PORT")
RAW_REG=raw-rtt-1
RAW_PORT=$(start_logged_registry "$RAW_REG")
RAW_HOST=127.0.0.1:$(start_proxy "$RAW_PORT")
new_destinations rtt 1
say "latency proxies (RTT +$RTT_MS ms): source $PSRC, skopeo destination $S_HOST, freightliner destination $F_HOST, raw $RAW_HOST"
say "one request through the source proxy (new connection): $(curl -s -o /dev/null -w '%{time_total}' "http://$PSRC/v2/") s"
run_raw rtt 1 "$PSRC" "$RAW_HOST" "$RAW_REG" "$RAW_PORT"
drop_registry "$RAW_REG"
run_case rtt full 1 "$PSRC"
for i in $(seq 1 "$NOOP_RUNS_RTT"); do run_case rtt noop "$i" "$PSRC"; done
run_noop_assuming rtt "$NOOP_RUNS_RTT" "$PSRC"
push_changed rtt B
run_case rtt changed 1 "$PSRC"

# ---------------------------------------------------------------------------------------------
# Report.

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
runs_of() {  # PHASE CASE -> number of runs
  case $1/$2 in loopback/full) echo "$FULL_RUNS" ;; loopback/noop) echo "$NOOP_RUNS" ;; rtt/noop) echo "$NOOP_RUNS_RTT" ;; *) echo 1 ;; esac
}
times_of() {  # PHASE CASE TOOL -> "t1 t2 ..." (seconds, 2 decimals)
  local i
  for i in $(seq 1 "$(runs_of "$1" "$2")"); do printf '%.2f ' "${T[$1/$2/$3/$i]}"; done
}
med_of() { times_of "$@" | tr ' ' '\n' | grep . | median; }
ratio() { echo "scale=4; $1 / $2" | bc -l; }
ge() { [ "$(echo "$1 >= $2" | bc -l)" = 1 ]; }
RAW_TIMES=$(for i in $(seq 1 "$FULL_RUNS"); do printf '%.2f ' "${RAW[raw/loopback/$i]}"; done)
RAW_MEDIAN=$(echo "$RAW_TIMES" | tr ' ' '\n' | grep . | median)
RAWC_TIMES=$(for i in $(seq 1 "$FULL_RUNS"); do printf '%.2f ' "${RAW[raw/loopback/$i/total]}"; done)
RAWC_MEDIAN=$(echo "$RAWC_TIMES" | tr ' ' '\n' | grep . | median)
FL_FULL_MEDIAN=$(med_of loopback full freightliner)
{
  echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, Linux $(uname -r). Registry storage and work files under $WORK_ROOT ($(df --output=fstype "$WORK_ROOT" | tail -1))."
  echo "$("$BIN" version 2>/dev/null | head -1), skopeo $(skopeo --version | cut -d' ' -f3), docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}')."
  echo
  echo "Corpus: $N_REPOS repositories, $N_TAGS tags ($N_INDEXES of them multi-arch indexes over $N_CHILDREN platform manifests), $N_BLOBS unique blobs ($N_SHARED of them in more than one repository; $N_REFS (repository, blob) pairs), $(echo "scale=1; $BYTES / 1048576" | bc) MiB of unique blobs, $N_BIG layers of $BIG_MIB MiB (random bytes)."
  echo
  for phase in loopback rtt; do
    cases="full noop changed"
    if [ "$phase" = loopback ]; then
      cases="$cases newrepo"
      echo "### Plain loopback"
    else
      echo "### With ${RTT_MS} ms of added round-trip time (bench_latency_proxy in front of every registry)"
      echo
      echo "The source has changed by then: round A's tags and fleet/newrepo ($N_TAGS_RTT tags, $N_BLOBS_RTT unique blobs)."
    fi
    echo
    echo "Times are medians when a case ran several times (every run in brackets)."
    echo
    echo "| case | skopeo sync (s) | freightliner (s) | speed-up | target | met? | requests skopeo / freightliner | freightliner copied / up to date / failed | load before (s / f) | compiler seen (s / f) |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for c in $cases; do
      s=$(med_of "$phase" "$c" skopeo); f=$(med_of "$phase" "$c" freightliner); x=$(ratio "$s" "$f")
      target="-"; met="-"
      case $phase/$c in
        loopback/full) target=">= 2.5x"; ge "$x" 2.5 && met=yes || met=NO ;;
        loopback/noop) target=">= 8x"; ge "$x" 8 && met=yes || met=NO ;;
        rtt/full | rtt/noop) target=">= 10x"; ge "$x" 10 && met=yes || met=NO ;;
      esac
      summary=$(jq -r '"\(.copied) / \(.up_to_date) / \(.failed)"' "$RESULTS_DIR/logs/$phase-$c-freightliner-1.json" 2>/dev/null || echo "?")
      st=""; ft=""
      if [ "$(runs_of "$phase" "$c")" -gt 1 ]; then st=" [$(times_of "$phase" "$c" skopeo | sed 's/ $//')]"; ft=" [$(times_of "$phase" "$c" freightliner | sed 's/ $//')]"; fi
      printf '| %s | %.2f%s | %.2f%s | %.1fx | %s | %s | %s / %s | %s | %s / %s | %s / %s |\n' "$c" "$s" "$st" "$f" "$ft" "$x" "$target" "$met" \
        "${REQ[$phase/$c/skopeo/1]}" "${REQ[$phase/$c/freightliner/1]}" "$summary" "${LOAD[$phase/$c/skopeo/1]}" "${LOAD[$phase/$c/freightliner/1]}" \
        "${BUSY[$phase/$c/skopeo/1]}" "${BUSY[$phase/$c/freightliner/1]}"
    done
    echo
    a=$(times_of "$phase" noop fl-assume | tr ' ' '\n' | grep . | median)
    printf 'No-op with `--assume-destination-unchanged` (no HEAD at the destination for a tag an earlier run left at the source'"'"'s digest): %.2f s [%s], %.1fx skopeo (target for the no-op: %s), %s requests.\n\n' \
      "$a" "$(times_of "$phase" noop fl-assume | sed 's/ $//')" "$(ratio "$(med_of "$phase" noop skopeo)" "$a")" \
      "$([ "$phase" = loopback ] && echo '>= 8x' || echo '>= 10x')" "${REQ[$phase/noop/fl-assume/1]}"
    echo "CPU seconds during the first run of each case (tool / source registry / destination registry):"
    echo
    echo "| case | skopeo | freightliner |"
    echo "|---|---|---|"
    for c in $cases; do
      echo "| $c | ${CPU[$phase/$c/skopeo/1]// / \/ } | ${CPU[$phase/$c/freightliner/1]// / \/ } |"
    done
    echo
    echo "Destinations checked after every run (digest of every tag, every child manifest, every blob and its size):"
    echo
    for c in $cases; do
      for i in $(seq 1 "$(runs_of "$phase" "$c")"); do
        echo "- $c run $i: skopeo $(cat "$RESULTS_DIR/verify/$phase-$c-skopeo-$i/result"), freightliner $(cat "$RESULTS_DIR/verify/$phase-$c-freightliner-$i/result")."
      done
    done
    echo
  done
  echo "### Raw limit and memory"
  echo
  echo "Raw limit (bench_raw_blob_copy, 8 keep-alive connections per side, no existence checks, largest blobs first), one run next to each loopback full copy, into its own empty registry:"
  echo
  echo "- blobs only (the issue's raw limit: GET + POST + monolithic PUT of each of the $N_BLOBS unique blobs): [${RAW_TIMES% }] s, median $RAW_MEDIAN s;"
  echo "- complete copy (those, then $((N_REFS - N_BLOBS)) mounts and every manifest GET + PUT; checked like the tools' copies: $(cat "$RESULTS_DIR/verify/raw-loopback-1/result")): [${RAWC_TIMES% }] s, median $RAWC_MEDIAN s;"
  echo "- through the latency proxies: blobs ${RAW[raw/rtt/1]} s, complete ${RAW[raw/rtt/1/total]} s."
  echo "- CPU seconds of the first loopback run (raw copier / source registry / destination registry): ${CPU[raw/loopback/1]// / \/ }, against freightliner's ${CPU[loopback/full/freightliner/1]// / \/ }."
  echo
  x=$(ratio "$FL_FULL_MEDIAN" "$RAW_MEDIAN")
  printf 'freightliner full copy on loopback (median): %.2f s = %.2fx the raw limit (target <= 1.3x: %s), %.2fx the complete raw copy. Run by run against the raw run next to it:' "$FL_FULL_MEDIAN" "$x" "$(ge 1.3 "$x" && echo met || echo NOT met)" "$(ratio "$FL_FULL_MEDIAN" "$RAWC_MEDIAN")"
  for i in $(seq 1 "$FULL_RUNS"); do printf ' %.2fx' "$(ratio "${T[loopback/full/freightliner/$i]}" "${RAW[raw/loopback/$i]}")"; done
  echo "."
  printf 'freightliner full copy with %s ms RTT: %.2f s = %.2fx the raw limit through the same proxies (%.2fx the complete raw copy).\n' "$RTT_MS" "${T[rtt/full/freightliner/1]}" "$(ratio "${T[rtt/full/freightliner/1]}" "${RAW[raw/rtt/1]}")" "$(ratio "${T[rtt/full/freightliner/1]}" "${RAW[raw/rtt/1/total]}")"
  echo
  rss_full=$(for i in $(seq 1 "$FULL_RUNS"); do echo "${RSS[loopback/full/freightliner/$i]}"; done | sort -n | tail -1)
  echo "Peak RSS (GNU time, MiB): freightliner full copy $rss_full (loopback, highest of $FULL_RUNS runs), ${RSS[rtt/full/freightliner/1]} (RTT); no-op ${RSS[loopback/noop/freightliner/1]}; changed ${RSS[loopback/changed/freightliner/1]}; skopeo full copy ${RSS[loopback/full/skopeo/1]}. Target < 150 MiB: $(ge 150 "$rss_full" && ge 150 "${RSS[rtt/full/freightliner/1]}" && echo met || echo NOT met)."
  echo
  echo "### Requests, uploads and mounts (registry request logs, first run of each case)"
  echo
  echo "| case | tool | blob uploads (PUT 201) | mounts (POST ?mount 201) | digests uploaded twice | blob HEADs at the destination | manifest GETs at the source | manifest HEADs (source + destination) |"
  echo "|---|---|---|---|---|---|---|---|"
  for phase in loopback rtt; do
    for c in full noop changed newrepo; do
      [ -f "$RESULTS_DIR/requests/$phase-$c-skopeo-1-dst.txt" ] || continue
      for tool in skopeo freightliner; do
        read -r up mo dup < <(uploads_and_mounts "$phase" "$c" "$tool" 1)
        heads=$(awk '$2 == "HEAD" && $3 == "blob" {n += $1} END {print n + 0}' "$RESULTS_DIR/requests/$phase-$c-$tool-1-dst.txt")
        gets=$(awk '$2 == "GET" && $3 == "manifest" {n += $1} END {print n + 0}' "$RESULTS_DIR/requests/$phase-$c-$tool-1-src.txt")
        mheads=$(cat "$RESULTS_DIR/requests/$phase-$c-$tool-1-"{src,dst}.txt | awk '$2 == "HEAD" && $3 == "manifest" {n += $1} END {print n + 0}')
        echo "| $phase $c | $tool | $up | $mo | $dup | $heads | $gets | $mheads |"
      done
    done
  done
  echo
  echo "Unique blobs in the initial corpus: $N_BLOBS; (repository, blob) pairs: $N_REFS; a copy that uploads each blob once and mounts it everywhere else makes $N_BLOBS uploads and $((N_REFS - N_BLOBS)) mounts."
  echo "newrepo adds $(newrepo_tags | wc -l) tags whose base layers the destinations already hold in other repositories: only their own layers and configs ($(( $(newrepo_tags | wc -l) * 2 )) blobs) need uploading."
  echo
  echo "Loopback full copy, run 1, requests by kind (count, method, kind, status, the registry's own time summed in ms): freightliner vs the raw copier."
  echo
  echo '```'
  echo "freightliner, source:";      cat "$RESULTS_DIR/requests/loopback-full-freightliner-1-src.txt"
  echo "freightliner, destination:"; cat "$RESULTS_DIR/requests/loopback-full-freightliner-1-dst.txt"
  echo "raw complete copy, source:";      cat "$RESULTS_DIR/requests/raw-loopback-1-src.txt"
  echo "raw complete copy, destination:"; cat "$RESULTS_DIR/requests/raw-loopback-1-dst.txt"
  echo '```'
  echo
  echo "Total time of the run: $(( ($(date +%s) - START) / 60 )) min. Logs and per-request counts: $RESULTS_DIR."
} > "$REPORT"
cat "$REPORT"
