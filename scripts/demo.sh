#!/usr/bin/env bash
# The main job on embedded defaults: two local registries on loopback, sample images pushed to the
# first, replicated by freightliner to the second, and a report of what was copied.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/registries.sh

BIN=${FREIGHTLINER_BIN:-build/release/freightliner}
STATE=.state/demo
rm -rf "$STATE"
mkdir -p "$STATE"
cleanup() {
  stop_pidfile "$STATE/src/pid"
  stop_pidfile "$STATE/dst/pid"
}
trap cleanup EXIT

SRC=127.0.0.1:$(start_registry "$PWD/$STATE/src")
DST=127.0.0.1:$(start_registry "$PWD/$STATE/dst")
echo "source registry:      http://$SRC"
echo "destination registry: http://$DST"

echo "== building sample images"
work=$STATE/images
mkdir -p "$work"
head -c 3000000 /dev/urandom > "$work/base.bin"
head -c 1000000 /dev/urandom > "$work/app-v1.bin"
head -c 1000000 /dev/urandom > "$work/app-v2.bin"
head -c 500000 /dev/urandom > "$work/tool.bin"
build_image "$work/oci" app-v1 amd64 "$work/base.bin" "$work/app-v1.bin" >/dev/null
build_image "$work/oci" app-v2 amd64 "$work/base.bin" "$work/app-v2.bin" >/dev/null
build_image "$work/oci" tools-amd64 amd64 "$work/tool.bin" >/dev/null
build_image "$work/oci" tools-arm64 arm64 "$work/tool.bin" >/dev/null
build_index "$work/oci" tools tools-amd64 tools-arm64
skopeo_push "oci:$work/oci:app-v1" "docker://$SRC/team/app:v1"
skopeo_push "oci:$work/oci:app-v2" "docker://$SRC/team/app:v2"
skopeo_push --format v2s2 "oci:$work/oci:app-v1" "docker://$SRC/team/legacy:v1"
skopeo_push "oci:$work/oci:tools" "docker://$SRC/team/tools:1.0"

echo "== replicating with freightliner"
for image in team/app:v1 team/app:v2 team/legacy:v1 team/tools:1.0; do
  "$BIN" replicate "$SRC/$image" "$DST/mirror/${image#team/}"
done
echo "== again: everything is up to date"
for image in team/app:v1 team/tools:1.0; do
  "$BIN" replicate "$SRC/$image" "$DST/mirror/${image#team/}"
done

echo "== what the destination holds (digests compared with skopeo)"
status=0
for image in team/app:v1 team/app:v2 team/legacy:v1 team/tools:1.0; do
  src_digest=$(raw_digest "docker://$SRC/$image")
  dst_digest=$(raw_digest "docker://$DST/mirror/${image#team/}")
  verdict=identical
  [ "$src_digest" = "$dst_digest" ] || { verdict=DIFFERENT; status=1; }
  printf '  %-22s %s  %s\n' "mirror/${image#team/}" "$dst_digest" "$verdict"
done
"$BIN" inspect "$DST/mirror/tools:1.0"
exit $status
