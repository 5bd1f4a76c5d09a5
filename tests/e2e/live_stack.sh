#!/usr/bin/env bash
# The monitoring stack, live: start the local stack (scripts/stack.sh, STACK_FAST=1: 1 s scrapes
# and evaluations, alerts' `for:` shortened to 5 s) with the real binary; run replications, some
# failing on purpose against a destination that refuses connections; then
#   1. every dashboard expression and every recording rule, asked of the real Prometheus, parses
#      and returns data;
#   2. HighReplicationFailureRate fires, and Alertmanager delivers it to the notification sink
#      (PagerDuty and Slack receivers) with its runbook link; the Watchdog reaches the
#      dead-man's switch.
#
#   tests/e2e/live_stack.sh PATH/TO/freightliner
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export FREIGHTLINER_BIN=${1:?usage: live_stack.sh FREIGHTLINER_BINARY}
export STACK_DIR=$(mktemp -d /tmp/freightliner-e2e.XXXXXX)
export STACK_FAST=1
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAILED: $*"; }
finish() {
  local rc=$?
  [ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || not_ok "the script stopped early (exit $rc)"
  bash "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
  echo "$passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then rm -rf "$STACK_DIR"; else echo "logs kept in $STACK_DIR"; fi
}
trap finish EXIT

bash "$ROOT/scripts/stack.sh" up > "$STACK_DIR.up.log" 2>&1 || { cat "$STACK_DIR.up.log"; not_ok "stack up"; exit 1; }
ok "stack up; first scheduled sync: $(grep -m1 '^sync ' "$STACK_DIR.up.log")"
. "$STACK_DIR/ports.env"

submit() {  # submit JSON -> job id
  curl -sf -H 'Content-Type: application/json' -d "$1" "$API/api/v1/replicate" | jq -r .job_id
}
wait_job() {  # wait_job ID -> final status
  local s
  for _ in $(seq 1 600); do
    s=$(curl -sf "$API/api/v1/jobs/$1" | jq -r .status)
    case $s in succeeded | failed | canceled) echo "$s"; return 0 ;; esac
    sleep 0.1
  done
  echo timeout
}
promql() {  # promql EXPR -> the API's JSON answer
  curl -sf --get --data-urlencode "query=$1" "$PROMETHEUS/api/v1/query" || echo '{"status":"error","error":"request failed"}'
}

# Traffic: successful copies, a missing tag, and a destination where nothing listens (a dead
# registry). The failures keep coming until the alert has fired.
dead=127.0.0.1:$(. "$ROOT/scripts/lib/registries.sh"; free_port)
for tag in v1 v2; do
  [ "$(wait_job "$(submit "{\"source\":\"$SRC/team/app:$tag\",\"destination\":\"$DST/e2e/app:$tag\"}")")" = succeeded ] &&
    ok "replicate app:$tag succeeded" || not_ok "replicate app:$tag"
done
[ "$(wait_job "$(submit "{\"source\":\"$SRC/team/app:missing\",\"destination\":\"$DST/e2e/app:missing\"}")")" = failed ] &&
  ok "a missing tag fails" || not_ok "a missing tag should fail"
fail_some() {
  for _ in 1 2 3; do
    submit "{\"source\":\"$SRC/team/app:v1\",\"destination\":\"$dead/e2e/app:v1\"}" >/dev/null
  done
}
fail_some

# 1. Every expression, with the dashboards' variables set the way Grafana would set them.
for _ in $(seq 1 60); do
  n=$(promql 'sum(freightliner_replications_total{status="failed"})' | jq -r '.data.result[0].value[1] // 0')
  [ "${n%.*}" -ge 4 ] 2>/dev/null && break
  sleep 1
done
sleep 3  # a few more scrapes, so that rate() has two samples everywhere
expressions=$STACK_DIR/expressions.txt
curl -sf "$PROMETHEUS/api/v1/rules?type=record" | jq -r '.data.groups[].rules[] | "rule \(.name)\t\(.query)"' > "$expressions"
dashboards=("$ROOT"/monitoring/grafana/dashboards/*.json)
[ -f "${dashboards[0]}" ] && ok "${#dashboards[@]} dashboards" || not_ok "no dashboards in monitoring/grafana/dashboards"
for dash in "${dashboards[@]}"; do
  [ -f "$dash" ] || continue
  # Variables: a number (a price) keeps its value; everything else matches anything.
  subst=$(jq -r '[.templating.list[]? | select(.type != "datasource") |
    {name, value: ((.current.value // "") | tostring)}] |
    map("s/\\$\\{?\(.name)\\}?/" + (if (.value | test("^[0-9.]+$")) then .value else ".*" end) + "/g") | join(";")' "$dash")
  jq -r --arg d "$(basename "$dash")" '.. | objects | select(has("expr")) | "\($d)\t\(.expr)"' "$dash" |
    sed -e "$subst" -e 's/\$__rate_interval/1m/g; s/\$__interval/15s/g; s/\$__range/1h/g' >> "$expressions"
done
total=$(wc -l < "$expressions")
[ "$total" -gt 20 ] && ok "$total expressions to check" || not_ok "only $total expressions found"
while IFS=$'\t' read -r where expr; do
  answer=$(promql "$expr")
  if [ "$(jq -r .status <<<"$answer")" != success ]; then
    not_ok "$where: does not parse: $(jq -r .error <<<"$answer"): $expr"
  elif [ "$(jq '.data.result | if type == "array" then length else 1 end' <<<"$answer")" -eq 0 ]; then
    not_ok "$where: returns no data: $expr"
  else
    passed=$((passed + 1))
  fi
done < "$expressions"
echo "checked $total expressions"

# 2. The fault must page: firing in Prometheus, then delivered with its runbook link.
fired=no
for _ in $(seq 1 120); do
  fail_some
  if curl -sf "$PROMETHEUS/api/v1/alerts" |
    jq -e --arg dst "$dead" '.data.alerts[] | select(.labels.alertname == "HighReplicationFailureRate" and .labels.dest_registry == $dst and .state == "firing")' >/dev/null; then
    fired=yes
    break
  fi
  sleep 1
done
[ "$fired" = yes ] && ok "HighReplicationFailureRate fires for $dead" || not_ok "HighReplicationFailureRate never fired"
delivered() {  # delivered PATH_PREFIX -> true when the sink got the alert there, with the runbook
  jq -e -s --arg p "$1" 'map(select((.path | startswith($p)) and (tostring | contains("HighReplicationFailureRate")) and (tostring | contains("SLO_RUNBOOKS.md#highreplicationfailurerate")))) | length > 0' \
    "$STACK_DIR/sink/notifications.jsonl" >/dev/null 2>&1
}
for channel in /pagerduty/ /slack/; do
  got=no
  for _ in $(seq 1 60); do
    if delivered "$channel"; then got=yes; break; fi
    sleep 1
  done
  [ "$got" = yes ] && ok "delivered to $channel with its runbook link" || not_ok "not delivered to $channel"
done
got=no
for _ in $(seq 1 60); do
  if jq -e -s 'map(select((.path | startswith("/webhook/deadmans")) and (tostring | contains("Watchdog")))) | length > 0' \
    "$STACK_DIR/sink/notifications.jsonl" >/dev/null 2>&1; then got=yes; break; fi
  sleep 1
done
[ "$got" = yes ] && ok "Watchdog reaches the dead-man's switch" || not_ok "no Watchdog at the dead-man's switch"
[ "$failed" -eq 0 ]
