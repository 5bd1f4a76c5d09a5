#!/usr/bin/env bash
# Benchmark (not a test): `freightliner replicate` against `skopeo copy --all` on the same images
# between the same loopback registries, in one run. Reports median times, the ratio, and
# freightliner's peak RSS while copying a 1 GiB layer.
#
#   bench/replicate_vs_skopeo.sh [RUNS]      (default 5 runs per case and tool)
#
# Each run copies into a repository that does not exist yet at the destination, so both tools
# upload every blob. Each tool has its own destination registry. skopeo's blob-info cache is
# removed before each of its runs: otherwise it remembers the blobs of the previous run and
# mounts them from there instead of copying, which measures nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

RUNS=${1:-5}
BIN=${FREIGHTLINER_BIN:-build/release/freightliner}
[ -x "$BIN" ] || { echo "build first: make release" >&2; exit 1; }
WORK=$(mktemp -d /tmp/freightliner-bench.XXXXXX)
cleanup() {
  for r in src dst-skopeo dst-freightliner; do stop_pidfile "$WORK/$r/pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

SRC=127.0.0.1:$(start_registry "$WORK/src")
DST_S=127.0.0.1:$(start_registry "$WORK/dst-skopeo")
DST_F=127.0.0.1:$(start_registry "$WORK/dst-freightliner")

echo "building images (a 1 GiB layer takes a minute to compress)..." >&2
L=$WORK/oci
mkdir -p "$WORK/files"
for i in 1 2 3 4 5; do head -c $((2 * 1024 * 1024)) /dev/urandom > "$WORK/files/small$i.bin"; done
head -c $((100 * 1024 * 1024)) /dev/urandom > "$WORK/files/100m.bin"
head -c $((1024 * 1024 * 1024)) /dev/urandom > "$WORK/files/1g.bin"
build_image "$L" small amd64 "$WORK"/files/small{1,2,3,4,5}.bin >/dev/null
for arch in amd64 arm64 ppc64le; do
  head -c $((8 * 1024 * 1024)) /dev/urandom > "$WORK/files/$arch.bin"
  build_image "$L" "multi-$arch" "$arch" "$WORK/files/small1.bin" "$WORK/files/$arch.bin" >/dev/null
done
build_index "$L" multi multi-amd64 multi-arm64 multi-ppc64le
build_image "$L" layer100m amd64 "$WORK/files/100m.bin" >/dev/null
build_image "$L" layer1g amd64 "$WORK/files/1g.bin" >/dev/null
for t in small multi layer100m layer1g; do skopeo_push "oci:$L:$t" "docker://$SRC/bench/$t:v1"; done

forget_skopeo_blob_cache() {
  rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb \
    "${XDG_DATA_HOME:-$HOME/.local/share}/containers/cache/blob-info-cache-v1.boltdb"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }

printf '\n| case | skopeo copy --all (s) | freightliner replicate (s) | speed-up |\n|---|---|---|---|\n'
for t in small multi layer100m layer1g; do
  s_times=() f_times=()
  for run in $(seq 1 "$RUNS"); do
    forget_skopeo_blob_cache
    t0=$(now)
    skopeo copy --all --quiet --src-tls-verify=false --dest-tls-verify=false \
      "docker://$SRC/bench/$t:v1" "docker://$DST_S/run$run/$t:v1"
    t1=$(now)
    "$BIN" --log-level warn replicate "$SRC/bench/$t:v1" "$DST_F/run$run/$t:v1" >/dev/null
    t2=$(now)
    s_times+=("$(echo "$t1 - $t0" | bc -l)")
    f_times+=("$(echo "$t2 - $t1" | bc -l)")
  done
  s=$(printf '%s\n' "${s_times[@]}" | median)
  f=$(printf '%s\n' "${f_times[@]}" | median)
  printf '| %s | %.3f | %.3f | %.2fx |\n' "$t" "$s" "$f" "$(echo "$s / $f" | bc -l)"
done

# Peak resident memory while copying the 1 GiB layer (GNU time's maximum RSS, in KiB).
rss_kib=$( { /usr/bin/time -f '%M' "$BIN" --log-level warn replicate \
  "$SRC/bench/layer1g:v1" "$DST_F/rss/layer1g:v1" >/dev/null; } 2>&1 | tail -1)
printf '\nfreightliner peak RSS copying a 1 GiB layer: %.1f MiB\n' "$(echo "$rss_kib / 1024" | bc -l)"
