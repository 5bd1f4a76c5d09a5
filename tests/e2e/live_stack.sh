#!/usr/bin/env bash
# The monitoring stack, live: start the local stack (scripts/stack.sh, STACK_FAST=1: 1 s scrapes
# and evaluations, alerts' `for:` shortened to 5 s) with the real binary; run replications, some
# failing on purpose against a destination that refuses connections; then
#   1. every dashboard expression and every recording rule, asked of the real Prometheus, parses
#      and returns data;
#   2. HighReplicationFailureRate fires, and Alertmanager delivers the page for it to the
#      notification sink (PagerDuty and Slack receivers) with its runbook link: that alert, or the
#      availability burn-rate page of the same SLO, which silences it (one SLO, one page); the
#      Watchdog reaches the dead-man's switch;
#   3. a scheduled sync that fails for good (its destination registry stopped) pages:
#      FreightlinerSyncStale reaches PagerDuty, naming the sync.
#
#   tests/e2e/live_stack.sh PATH/TO/freightliner
. "$(dirname "$0")/lib.sh"
e2e_init e2e "${1:?usage: live_stack.sh FREIGHTLINER_BINARY}"
export STACK_FAST=1

stack_up
ok "stack up; first scheduled sync: $(grep -m1 '^sync ' "$STACK_DIR.up.log")"

submit() {  # submit JSON -> job id
  curl -sf -H 'Content-Type: application/json' -d "$1" "$API/api/v1/replicate" | jq -r .job_id
}
promql() {  # promql EXPR -> the API's JSON answer
  curl -sf --get --data-urlencode "query=$1" "$PROMETHEUS/api/v1/query" || echo '{"status":"error","error":"request failed"}'
}

# Prometheus must have scraped the series at 0 before the first failure, or increase() cannot
# see it (the stack starts Prometheus last).
for _ in $(seq 1 60); do
  n=$(promql 'count(freightliner_replication_errors_total)' | jq -r '.data.result[0].value[1] // 0')
  [ "$n" -gt 0 ] 2>/dev/null && break
  sleep 1
done
sleep 2

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
# Every dashboard query and rule expression, the dashboards' variables set as Grafana would
# (tests/monitoring/queries.sh); alert expressions must parse, everything else must return data.
expressions=$STACK_DIR/expressions.jsonl
bash "$ROOT/tests/monitoring/queries.sh" --set "source_registry=$SRC" > "$expressions"
total=$(wc -l < "$expressions")
[ "$total" -gt 50 ] && ok "$total expressions to check" || not_ok "only $total expressions found"
# A query that has no data yet gets up to a minute more: recording rules feed on each other one
# evaluation at a time.
check_expression() {  # check_expression JSON_LINE -> prints "" when fine, else the failure
  local where expr answer
  where=$(jq -r .source <<<"$1")
  expr=$(jq -r .expr <<<"$1")
  answer=$(promql "$expr")
  if [ "$(jq -r .status <<<"$answer")" != success ]; then
    echo "$where: does not parse: $(jq -r .error <<<"$answer"): $expr"
  elif [[ $where != *" alert "* ]] &&
    [ "$(jq '.data.result | if type == "array" then length else 1 end' <<<"$answer")" -eq 0 ]; then
    echo "$where: returns no data: $expr"
  fi
}
pending=$STACK_DIR/pending.jsonl
cp "$expressions" "$pending"
for attempt in $(seq 1 30); do
  : > "$pending.next"
  while IFS= read -r line; do
    [ -z "$(check_expression "$line")" ] || echo "$line" >> "$pending.next"
  done < "$pending"
  mv "$pending.next" "$pending"
  [ -s "$pending" ] || break
  sleep 2
done
while IFS= read -r line; do not_ok "$(check_expression "$line")"; done < "$pending"
passed=$((passed + total - $(wc -l < "$pending")))
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
# sink_got SECONDS JQ_FILTER: true once the sink has recorded a notification that matches the
# filter (applied to each recorded notification), within SECONDS.
sink_got() {
  local i
  for ((i = 0; i < $1; i++)); do
    jq -e -s "map(select($2)) | length > 0" "$STACK_DIR/sink/notifications.jsonl" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}
# The page of the replication availability SLO, with its runbook: the threshold alert, or the
# burn-rate page that silences it in Alertmanager when both fire (they do at once with `for: 5s`).
slo_page='tostring | (contains("HighReplicationFailureRate") and contains("SLO_RUNBOOKS.md#highreplicationfailurerate")) or (contains("ReplicationAvailabilityBudgetBurn") and contains("SLO_RUNBOOKS.md#replicationavailabilitybudgetburn"))'
for channel in pagerduty slack; do
  sink_got 60 ".kind == \"$channel\" and ($slo_page)" && ok "delivered to $channel with its runbook link" ||
    not_ok "not delivered to $channel"
done
sink_got 60 '.kind == "webhook" and (.receiver | startswith("deadmans")) and (tostring | contains("Watchdog"))' &&
  ok "Watchdog reaches the dead-man's switch" || not_ok "no Watchdog at the dead-man's switch"

# 3. The destination registry goes away for good: every scheduled run of the sync (every 5 s here)
# fails, its last success ages past 3 intervals, and the on-call is paged for that sync.
last_success() {
  curl -sf "$METRICS" | awk '$1 == "freightliner_sync_last_success_timestamp_seconds{sync=\"mirror\"}" { print $2 }'
}
[ -n "$(last_success)" ] && ok "the sync's last success is exported: $(last_success)" || not_ok "no freightliner_sync_last_success_timestamp_seconds for mirror"
stop_pidfile() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null; rm -f "$1"; }
stop_pidfile "$STACK_DIR/dst/pid"
sink_got 120 '.kind == "pagerduty" and (tostring | contains("FreightlinerSyncStale") and contains("mirror"))' &&
  ok "a sync failing for good pages: FreightlinerSyncStale for mirror reached PagerDuty" ||
  not_ok "FreightlinerSyncStale for mirror never reached PagerDuty"
[ "$failed" -eq 0 ]
