# Shell helpers to run Debian's docker-registry on free loopback ports and seed it with images.
# Sourced by scripts/stack.sh and bench/*.sh. Tests use the C++ fixtures in tests/fixtures instead.

# free_port: prints a TCP port on 127.0.0.1 that no socket uses right now. It is taken below the
# kernel's ephemeral range: a port in that range can be held by any client connection on the
# machine (other tests' included) by the time a server binds it.
free_port() {
  local low high port
  read -r high _ < /proc/sys/net/ipv4/ip_local_port_range
  low=10000
  (( high - low >= 1000 )) || { low=20000; high=60000; }
  for _ in $(seq 1 100); do
    port=$(( (RANDOM << 15 | RANDOM) % (high - low) + low ))
    if ! ss -Htan "sport = :$port" | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# wait_http URL [SECONDS] [PID]: waits until URL answers any HTTP status. Gives up early, with
# a message, when process PID has exited.
wait_http() {
  local url=$1 deadline=$(( SECONDS + ${2:-20} )) pid=${3:-}
  until curl -s -m 2 -o /dev/null "$url"; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid exited before $url answered" >&2
      return 1
    fi
    if (( SECONDS > deadline )); then
      echo "timed out waiting for $url" >&2
      return 1
    fi
    sleep 0.1
  done
}

# show_log FILE: its last lines on stderr, to explain a start that failed.
show_log() {
  echo "--- last lines of $1:" >&2
  tail -n 20 "$1" >&2 2>/dev/null || true
}

# start_registry DIR [LOG]: starts docker-registry with storage in DIR and the `log:` settings LOG
# (default: warnings only); prints its port; pid in DIR/pid.
start_registry() {
  local dir=$1 log=${2:-"{level: warn}"} port
  mkdir -p "$dir/storage"
  for _ in 1 2 3; do
    port=$(free_port) || return 1
    cat > "$dir/config.yml" <<CFG
version: 0.1
log: $log
storage:
  filesystem: {rootdirectory: $dir/storage}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port}
CFG
    docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
    echo $! > "$dir/pid"
    if wait_http "http://127.0.0.1:$port/v2/" 30 "$(cat "$dir/pid")"; then
      echo "$port"
      return 0
    fi
    show_log "$dir/registry.log"
    kill "$(cat "$dir/pid")" 2>/dev/null || true
  done
  echo "docker-registry did not start; see $dir/registry.log" >&2
  return 1
}

# send_events_to DIR URL: restarts the registry of DIR (same port, same storage) with a
# notifications endpoint: every push, pull and delete is POSTed to URL (distribution's
# notification envelopes). Done after seeding, so that the seed's own pushes are not sent.
send_events_to() {
  local dir=$1 url=$2 port
  port=$(sed -n 's/^http: {addr: 127.0.0.1:\([0-9]*\)}$/\1/p' "$dir/config.yml")
  cat >> "$dir/config.yml" <<CFG
notifications:
  endpoints:
    - name: freightliner
      url: $url
      timeout: 2s
      threshold: 3
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
CFG
  stop_pidfile "$dir/pid"
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || break
    sleep 0.1
  done
  docker-registry serve "$dir/config.yml" >> "$dir/registry.log" 2>&1 &
  echo $! > "$dir/pid"
  wait_http "http://127.0.0.1:$port/v2/" 30 "$(cat "$dir/pid")" || { show_log "$dir/registry.log"; return 1; }
}

stop_pidfile() {
  local file=$1
  [ -f "$file" ] || return 0
  kill "$(cat "$file")" 2>/dev/null || true
  rm -f "$file"
}

# skopeo_push SRC DST: skopeo copy --all with retries (distribution 2.8 sometimes answers 500
# under concurrent pushes of shared blobs).
skopeo_push() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if skopeo copy --all --quiet --src-tls-verify=false --dest-tls-verify=false "$@"; then
      return 0
    fi
    echo "skopeo copy failed (attempt $attempt), retrying" >&2
    sleep "$attempt"
  done
  return 1
}

# build_image LAYOUT TAG ARCH FILE...: an OCI image in LAYOUT:TAG for ARCH with FILEs as layers.
build_image() {
  local layout=$1 tag=$2 arch=$3
  shift 3
  [ -d "$layout" ] || umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci config --image "$layout:$tag" --architecture "$arch" --os linux
  local f
  for f in "$@"; do
    umoci insert --rootless --image "$layout:$tag" "$f" "/data/$(basename "$f")"
  done
}

# build_index LAYOUT TAG TAG1 TAG2...: an OCI index in LAYOUT:TAG over the images TAG1.. (each
# single-platform), with their platforms.
build_index() {
  local layout=$1 tag=$2
  shift 2
  local entries="[]" t desc config arch
  for t in "$@"; do
    desc=$(jq -c --arg t "$t" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)' "$layout/index.json")
    config=$(jq -r '.config.digest' "$layout/blobs/sha256/$(jq -r .digest <<<"$desc" | cut -d: -f2)")
    arch=$(jq -r .architecture "$layout/blobs/sha256/${config#sha256:}")
    entries=$(jq -c --argjson d "$desc" --arg a "$arch" \
      '. + [$d | del(.annotations) | . + {platform: {os: "linux", architecture: $a}}]' <<<"$entries")
  done
  local index
  index=$(jq -n --argjson m "$entries" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: $m}')
  local digest
  digest=$(printf '%s' "$index" | sha256sum | cut -d' ' -f1)
  printf '%s' "$index" > "$layout/blobs/sha256/$digest"
  jq --arg d "sha256:$digest" --arg t "$tag" --argjson s "$(printf '%s' "$index" | wc -c)" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": $t}}]' "$layout/index.json" > "$layout/index.json.new"
  mv "$layout/index.json.new" "$layout/index.json"
}

# raw_digest REF: sha256 of the manifest bytes a registry serves for REF (docker://...).
raw_digest() {
  echo "sha256:$(skopeo inspect --raw --tls-verify=false "$1" | sha256sum | cut -d' ' -f1)"
}
