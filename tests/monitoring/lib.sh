# Shared helpers for the monitoring test scripts (sourced, not run).
# Every script: `set -euo pipefail`, a private temp dir removed on exit, `fail` on the first wrong
# thing with a message that says what and where, and a last line saying what passed.

set -euo pipefail

MON_TESTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$MON_TESTS/../.." && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
MON="$REPO/monitoring"
NODE_DIR="$MON_TESTS/k8s-validate"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

note() {
  echo "  - $*"
}

# need CMD...: fail clearly when a tool is missing (scripts/deps.sh installs them all).
need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || fail "'$c' is not installed (run scripts/deps.sh)"
  done
}

# need_node_modules: the npm packages pinned in tests/monitoring/k8s-validate/package-lock.json.
need_node_modules() {
  need node
  if [ ! -d "$NODE_DIR/node_modules/yaml" ] || [ ! -d "$NODE_DIR/node_modules/kubernetes-models" ]; then
    fail "npm packages missing: run 'npm ci' in tests/monitoring/k8s-validate (scripts/deps.sh does)"
  fi
}

# make_tmp: sets TMP to a fresh directory removed when the script exits, and runs the cleanup
# hooks registered with on_exit (processes to stop).
_exit_hooks=()
on_exit() { _exit_hooks+=("$1"); }
_cleanup() {
  local h
  for h in "${_exit_hooks[@]+"${_exit_hooks[@]}"}"; do eval "$h" || true; done
  [ -n "${TMP:-}" ] && rm -rf "$TMP"
}
make_tmp() {
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/freightliner-mon.XXXXXX")"
  trap _cleanup EXIT
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# start_prometheus CONFIG: a Prometheus on a free port with its data and log in $TMP, stopped on
# exit; sets `port` once it is ready (or shows its log and exits).
start_prometheus() {
  port=$(free_port)
  prometheus --config.file="$1" --storage.tsdb.path="$TMP/data" \
    --web.listen-address="127.0.0.1:$port" >"$TMP/prometheus.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  wait_http "http://127.0.0.1:$port/-/ready" 60 "$TMP/prometheus.log"
}

# start_sink: the notification sink (what Slack, PagerDuty and webhooks would receive, recorded in
# $TMP/sink.jsonl) on a free loopback port, stopped on exit; sets sink_port.
start_sink() {
  sink_port=$(free_port)
  node "$MON/alertmanager/notification-sink.mjs" --port "$sink_port" --out "$TMP/sink.jsonl" >"$TMP/sink.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  wait_http "http://127.0.0.1:$sink_port/-/ready" 20 "$TMP/sink.log"
}

# start_alertmanager CONFIG: a real Alertmanager with that config on a free loopback port, data
# and log ($TMP/am.log) in $TMP, stopped on exit; sets am_port.
start_alertmanager() {
  am_port=$(free_port)
  prometheus-alertmanager --config.file="$1" --storage.path="$TMP/am-data" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$TMP/am.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  wait_http "http://127.0.0.1:$am_port/-/ready" 30 "$TMP/am.log"
}

# alert KEY LABELS_JSON: adds to $alerts (a JSON array to post to Alertmanager) one alert with
# the annotations every rule sets, its runbook link as the rules make it; KEY names it in a test.
# job defaults to freightliner and cluster to prod-a.
alerts='[]'
alert() {
  local key="$1" labels="$2" name ends
  local rb=https://github.com/freightliner/freightliner/blob/main/monitoring/docs/SLO_RUNBOOKS.md
  name=$(jq -r .alertname <<<"$labels")
  ends=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
  alerts=$(jq --arg key "$key" --argjson l "$labels" --arg ends "$ends" --arg rb "$rb#${name,,}" '. + [{
      labels: ($l + {test_key: $key, job: ($l.job // "freightliner"), cluster: ($l.cluster // "prod-a")}),
      annotations: {summary: ("summary of " + $key), description: ("description of " + $key),
                    impact: ("impact of " + $key), action: ("action for " + $key), runbook_url: $rb},
      endsAt: $ends}]' <<<"$alerts")
}

# wait_http URL SECONDS [LOG]: until URL answers 2xx, or fail (showing the end of LOG, the
# server's own account of why).
wait_http() {
  local url="$1" secs="${2:-30}" log="${3:-}" i
  for ((i = 0; i < secs * 10; i++)); do
    curl -fsS -m 10 -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  if [ -n "$log" ] && [ -f "$log" ]; then
    echo "--- last lines of $log:" >&2
    tail -n 40 "$log" >&2
  fi
  fail "$url did not answer within ${secs}s"
}
