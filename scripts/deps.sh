#!/usr/bin/env bash
# Installs every Debian package the project builds, tests and demos with; installs nothing that is
# already there. Safe to run again. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build git pkg-config clang-format
  libcurl4-openssl-dev libssl-dev zlib1g-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev prometheus-cpp-dev libcivetweb-dev libsqlite3-dev libexpected-dev
  libgtest-dev libgmock-dev libbenchmark-dev libre2-dev libmicrohttpd-dev
  # cluster mode's shared store: the PostgreSQL client library
  libpq-dev
  # the Debian package (cpack -G DEB: dpkg-shlibdeps computes Depends) and its tests: the man
  # page read with man and groff, the completions loaded in bash and zsh
  dpkg-dev groff-base man-db zsh
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and its sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # real peers for tests, the demo and the benchmarks
  docker-registry skopeo umoci prometheus prometheus-alertmanager apache2-utils openssl
  jq curl wrk hyperfine procps iproute2 ca-certificates time bc
  # cluster mode's store, and its tests: a real PostgreSQL server
  postgresql
  # the monitoring mixin (make mixin, monitoring.mixin): jsonnet, then python3 writes YAML and JSON
  jsonnet python3
  # the console pages' browser test (tests/e2e/consoles.sh): headless Chromium, and a font
  chromium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm validate Kubernetes manifests; a machine that already has them keeps its own.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "deps: all Debian packages present"
fi

# npm packages used by the Kubernetes manifest tests (pinned by package-lock.json).
for dir in tests/monitoring/k8s-validate; do
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
