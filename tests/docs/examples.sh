#!/usr/bin/env bash
# docs.examples BINARY: runs every fenced shell example of README.md and docs/*.md that is marked
# runnable, as written, against two real registries on free loopback ports.
#
# Marking: the line just before the opening fence is `<!-- runnable -->`, or
# `<!-- runnable exit=N -->` for an example whose point is a failure (N is its exit status).
# Examples name the registries through $SRC and $DST; the source holds team/app:v1, v2, v1.0.0
# and v2.1.0, team/tools:1.0 and :stable (a two-platform index); the destination starts empty for
# every example. $API_PORT and $METRICS_PORT are free loopback ports for a `serve` the example
# starts; whatever an example leaves running is stopped with it (it runs in its own session).
# Each example runs in a fresh directory holding a copy of examples/, with HOME pointing at an
# empty directory (no one's credentials), `freightliner` first on PATH, under `bash -eo pipefail`.
# An example that needs a server or a file the docs tell the reader to write must do so itself.
#
# Prints one line per example and "N passed, N failed"; fails when an example fails or when no
# example is marked (a check that checked nothing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$(realpath "${1:?usage: examples.sh FREIGHTLINER_BINARY}")"
cd "$ROOT"
. scripts/lib/registries.sh

TMP="$(mktemp -d "${TMPDIR:-/tmp}/freightliner-docs.XXXXXX")"
cleanup() {
  stop_pidfile "$TMP/src/pid"
  stop_pidfile "$TMP/dst/pid"
  rm -rf "$TMP"
}
trap cleanup EXIT

# extract_examples FILE: prints, for each marked block, "FILE:LINE EXIT" then the block's lines,
# then a line "%%END%%" (a form the loop below reads without a parser of its own).
extract_examples() {
  awk -v file="$1" '
    /^<!-- runnable( exit=[0-9]+)? -->$/ {
      marked = 1; want = 0
      if (match($0, /exit=[0-9]+/)) want = substr($0, RSTART + 5, RLENGTH - 5)
      next
    }
    marked && /^```(bash|sh|shell|console)?$/ {
      marked = 0; inside = 1; print file ":" NR " " want; next
    }
    inside && /^```$/ { inside = 0; print "%%END%%"; next }
    inside { print; next }
    { marked = 0 }
  ' "$1"
}

start_registries() {
  SRC=127.0.0.1:$(start_registry "$TMP/src") || return 1
  DST=127.0.0.1:$(start_registry "$TMP/dst") || return 1
  local w=$TMP/images
  mkdir -p "$w"
  head -c 300000 /dev/urandom > "$w/base.bin"
  head -c 100000 /dev/urandom > "$w/app-v1.bin"
  head -c 100000 /dev/urandom > "$w/app-v2.bin"
  head -c 50000 /dev/urandom > "$w/tool.bin"
  build_image "$w/oci" app-v1 amd64 "$w/base.bin" "$w/app-v1.bin" >/dev/null
  build_image "$w/oci" app-v2 amd64 "$w/base.bin" "$w/app-v2.bin" >/dev/null
  build_image "$w/oci" tools-amd64 amd64 "$w/tool.bin" >/dev/null
  build_image "$w/oci" tools-arm64 arm64 "$w/tool.bin" >/dev/null
  build_index "$w/oci" tools tools-amd64 tools-arm64
  skopeo_push "oci:$w/oci:app-v1" "docker://$SRC/team/app:v1"
  skopeo_push "oci:$w/oci:app-v2" "docker://$SRC/team/app:v2"
  skopeo_push "oci:$w/oci:app-v1" "docker://$SRC/team/app:v1.0.0"
  skopeo_push "oci:$w/oci:app-v2" "docker://$SRC/team/app:v2.1.0"
  skopeo_push "oci:$w/oci:tools" "docker://$SRC/team/tools:1.0"
  skopeo_push "oci:$w/oci:tools" "docker://$SRC/team/tools:stable"
}

# empty_destination: a fresh destination registry for the next example.
empty_destination() {
  stop_pidfile "$TMP/dst/pid"
  rm -rf "$TMP/dst"
  DST=127.0.0.1:$(start_registry "$TMP/dst")
}

start_registries
mkdir -p "$TMP/bin"
ln -s "$BIN" "$TMP/bin/freightliner"

passed=0
failed=0
run_example() {
  local where=$1 want=$2 script=$3 dir got
  empty_destination
  dir=$TMP/run-$((passed + failed))
  mkdir -p "$dir/home"
  cp -R examples "$dir/examples"
  printf '%s\n' "$script" > "$dir/example.sh"
  got=0
  # setsid: the example leads a session of its own, so that a server it started in the
  # background is stopped with it (and a watchdog bounds it to 120 s).
  (cd "$dir" && exec env HOME="$dir/home" PATH="$TMP/bin:$PATH" SRC="$SRC" DST="$DST" \
    API_PORT="$(free_port)" METRICS_PORT="$(free_port)" \
    XDG_STATE_HOME="$dir/state" XDG_RUNTIME_DIR="$dir/run" DOCKER_CONFIG="$dir/home/.docker" \
    setsid bash -eo pipefail example.sh) > "$dir/out" 2>&1 </dev/null &
  local pid=$!
  (
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep 120 &
    nap=$!
    wait "$nap" && kill -KILL -- "-$pid"
  ) >/dev/null 2>&1 &
  local watchdog=$!
  wait "$pid" || got=$?
  kill -TERM -- "-$pid" 2>/dev/null || true
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  if [ "$got" -eq "$want" ]; then
    echo "ok   $where"
    passed=$((passed + 1))
  else
    echo "FAIL $where: exit $got, expected $want; the example and its output:"
    sed 's/^/    | /' "$dir/example.sh"
    sed 's/^/    > /' "$dir/out" | tail -n 30
    failed=$((failed + 1))
  fi
}

for doc in README.md docs/*.md; do
  where="" want=0 script=""
  while IFS= read -r line; do
    if [ -z "$where" ]; then
      where=${line% *}
      want=${line##* }
    elif [ "$line" = "%%END%%" ]; then
      run_example "$where" "$want" "$script"
      where="" script=""
    else
      script+="$line"$'\n'
    fi
  done < <(extract_examples "$doc")
done

if [ $((passed + failed)) -eq 0 ]; then
  echo "FAIL: no example in README.md or docs/*.md is marked <!-- runnable -->"
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
