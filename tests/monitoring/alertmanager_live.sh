#!/usr/bin/env bash
# monitoring.alertmanager_live: a real Alertmanager with alertmanager-local.yml and the notification
# sink. amtool cannot test inhibitions, so alerts are posted in pairs to the API and the state of
# each target is read back: suppressed (and by which alert) or active. Then the notifications the
# sink received are checked: who got what, with the runbook link, and nothing for silenced alerts.
# Every alert carries `cluster` (Prometheus' external label): most are in prod-a, where one replica
# is down (FreightlinerReplicaDown); in prod-c the service is down (FreightlinerDown, no instance);
# a cluster prod-b repeats some of them to prove that no inhibition crosses clusters.
source "$(dirname "$0")/lib.sh"
need prometheus-alertmanager curl jq
need node
make_tmp

start_sink

# The local stack's way of placing the config: rendered with the sink's port, templates beside it.
mkdir -p "$TMP/am"
sed "s/127.0.0.1:9095/127.0.0.1:$sink_port/g" "$MON/alertmanager/alertmanager-local.yml" >"$TMP/am/alertmanager.yml"
cp -r "$MON/alertmanager/templates" "$TMP/am/templates"
grep -q "127.0.0.1:9095" "$TMP/am/alertmanager.yml" && fail "port substitution left 127.0.0.1:9095 behind"

start_alertmanager "$TMP/am/alertmanager.yml"
AM="http://127.0.0.1:$am_port/api/v2"
RB=https://github.com/freightliner/freightliner/blob/main/monitoring/docs/SLO_RUNBOOKS.md

I1=10.1.0.7:2112 I2=10.1.0.8:2112 I3=10.1.0.9:2112
alert replica-down-i1 '{"alertname":"FreightlinerReplicaDown","severity":"warning","component":"service","instance":"'$I1'"}'
alert mem-i1 '{"alertname":"HighMemoryUsage","severity":"critical","component":"runtime","instance":"'$I1'"}'
alert pool-i1 '{"alertname":"WorkerPoolSaturated","severity":"warning","component":"worker","instance":"'$I1'"}'
alert mem-i2 '{"alertname":"HighMemoryUsage","severity":"critical","component":"runtime","instance":"'$I2'"}'
alert stopped-i3 '{"alertname":"ReplicationStopped","severity":"critical","component":"replication","instance":"'$I3'"}'
alert failrate '{"alertname":"HighReplicationFailureRate","severity":"critical","component":"replication","slo":"replication-availability","source_registry":"a.example","dest_registry":"b.example"}'
alert duration '{"alertname":"HighReplicationDuration","severity":"warning","component":"replication","slo":"replication-latency","source_registry":"a.example","dest_registry":"b.example"}'
alert http5xx '{"alertname":"HighHTTP5xxRate","severity":"critical","component":"api","slo":"http-availability"}'
alert burn-page '{"alertname":"HTTPAvailabilityBudgetBurn","severity":"critical","component":"api","slo":"http-availability","burn_rate":"14.4","long_window":"1h"}'
alert burn-ticket '{"alertname":"HTTPAvailabilityBudgetBurn","severity":"warning","component":"api","slo":"http-availability","burn_rate":"3","long_window":"1d"}'
alert watchdog '{"alertname":"Watchdog","severity":"none","component":"alerting"}'
# Warnings no critical alert may silence: another alertname on the same instance as a critical one,
# the same alertname as a critical one on another instance, and an unrelated warning.
alert pool-i2 '{"alertname":"WorkerPoolSaturated","severity":"warning","component":"worker","instance":"'$I2'"}'
alert memwarn-i3 '{"alertname":"HighMemoryUsage","severity":"warning","component":"runtime","instance":"'$I3'"}'
alert auth '{"alertname":"HighAuthFailureRate","severity":"warning","component":"auth"}'
# Cluster prod-c: no replica up. FreightlinerDown silences every alert of its instances, the
# FreightlinerReplicaDown of each included, but not its cluster-wide alerts.
alert down-c '{"cluster":"prod-c","alertname":"FreightlinerDown","severity":"critical","component":"service"}'
alert c-replica-down-i1 '{"cluster":"prod-c","alertname":"FreightlinerReplicaDown","severity":"warning","component":"service","instance":"'$I1'"}'
alert c-mem-i2 '{"cluster":"prod-c","alertname":"HighMemoryUsage","severity":"critical","component":"runtime","instance":"'$I2'"}'
alert c-http5xx '{"cluster":"prod-c","alertname":"HighHTTP5xxRate","severity":"critical","component":"api","slo":"http-availability"}'
# Cluster prod-b: the same instance addresses (pod IPs repeat across clusters) and alert names as
# prod-a's inhibiting alerts; none of prod-a's sources may silence them.
alert b-mem-i1 '{"cluster":"prod-b","alertname":"HighMemoryUsage","severity":"critical","component":"runtime","instance":"'$I1'"}'
alert b-memwarn-i2 '{"cluster":"prod-b","alertname":"HighMemoryUsage","severity":"warning","component":"runtime","instance":"'$I2'"}'
alert b-failrate '{"cluster":"prod-b","alertname":"HighReplicationFailureRate","severity":"critical","component":"replication","slo":"replication-availability","source_registry":"a.example","dest_registry":"b.example"}'
alert b-http5xx '{"cluster":"prod-b","alertname":"HighHTTP5xxRate","severity":"critical","component":"api","slo":"http-availability"}'
alert b-burn-ticket '{"cluster":"prod-b","alertname":"HTTPAvailabilityBudgetBurn","severity":"warning","component":"api","slo":"http-availability","burn_rate":"3","long_window":"1d"}'
curl -fsS -m 10 -XPOST -H 'Content-Type: application/json' --data "$alerts" "$AM/alerts" >/dev/null || fail "posting alerts"

# KEY -> "state inhibitor-keys"; inhibitedBy holds fingerprints, mapped back to test keys.
state() {
  local all
  all=$(curl -fsS -m 10 "$AM/alerts")
  jq -r --arg key "$1" '
    (map({key: .fingerprint, value: .labels.test_key}) | from_entries) as $byfp
    | .[] | select(.labels.test_key == $key)
    | "\(.status.state) \([.status.inhibitedBy[] | $byfp[.]] | sort | join(","))"' <<<"$all"
}
expect() {
  local key="$1" want="$2" got=""
  for _ in $(seq 1 50); do
    got=$(state "$key" | sed 's/ *$//')
    [ "$got" = "$want" ] && break
    sleep 0.1
  done
  [ "$got" = "$want" ] || fail "$key: expected '$want', got '$got'"
  note "$key: $want"
}
expect replica-down-i1 active             # one replica down: nothing silences it in prod-a
expect mem-i1 "suppressed replica-down-i1" # FreightlinerReplicaDown silences its instance's other alerts
expect pool-i1 "suppressed replica-down-i1"
expect mem-i2 active                       # ... and nothing on another instance
expect stopped-i3 active
expect failrate "suppressed stopped-i3"    # ReplicationStopped silences replication-error alerts
expect duration "suppressed stopped-i3"
expect http5xx "suppressed burn-page"     # the SLO's burn-rate page silences its threshold alert
expect burn-page active                    # ... and not the reverse
expect burn-ticket "suppressed burn-page"  # critical silences the warning of the same alertname
expect down-c active                       # the service down: nothing silences the page
expect c-replica-down-i1 "suppressed down-c" # FreightlinerDown silences the replicas' FreightlinerReplicaDown
expect c-mem-i2 "suppressed down-c"        # ... and every alert of the cluster's instances
expect c-http5xx active                    # ... not the cluster-wide alerts
expect watchdog active                     # nothing ever silences the heartbeat
expect pool-i2 active                      # critical silences only the warning of the same alertname
expect memwarn-i3 active                   # ... on the same instance
expect auth active
expect b-mem-i1 active                     # no inhibition crosses clusters: not FreightlinerDown nor ReplicaDown,
expect b-memwarn-i2 active                 # ... not critical-over-warning,
expect b-failrate active                   # ... not ReplicationStopped,
expect b-http5xx active                    # ... not the burn-rate page,
expect b-burn-ticket active                # ... not the same alert's critical variant

# Notifications: critical group_wait is 10 s, Watchdog 0 s. Wait until the sink has what it should.
want_receivers="deadmans-switch pagerduty-critical slack-api slack-critical slack-platform slack-replication"
got_receivers=""
for _ in $(seq 1 300); do
  if [ -s "$TMP/sink.jsonl" ]; then
    got_receivers=$(jq -r .receiver "$TMP/sink.jsonl" | sort -u | tr '\n' ' ' | sed 's/ $//')
    [ "$got_receivers" = "$want_receivers" ] && break
  fi
  sleep 0.1
done
[ "$got_receivers" = "$want_receivers" ] || { cat "$TMP/sink.log"; fail "receivers notified: expected '$want_receivers', got '$got_receivers'"; }
sleep 1 # let the last groups of the same flush arrive

# Everything delivered, as one text per notification. The same pattern finds delivered alerts and
# proves the absence of inhibited ones.
delivered=$(jq -c . "$TMP/sink.jsonl")
mentioned() { grep -qE "(of |test_key=)$1([^a-z0-9-]|\$)" <<<"$delivered"; }
for k in down-c c-http5xx mem-i2 stopped-i3 burn-page b-mem-i1 b-failrate b-http5xx; do
  mentioned "$k" || fail "no notification carried alert $k"
done
for k in mem-i1 pool-i1 c-mem-i2 failrate duration burn-ticket http5xx; do
  mentioned "$k" && fail "inhibited alert $k was notified"
done
note "inhibited alerts were not delivered"

# Slack: channel, runbook link, impact and action in the text.
slack=$(jq -c 'select(.kind == "slack" and .receiver == "slack-platform") | .body | select(.attachments[0].text | contains("mem-i2"))' "$TMP/sink.jsonl" | head -1)
[ "$(jq -r .channel <<<"$slack")" = "#freightliner-platform" ] || fail "slack-platform channel: $slack"
jq -e --arg rb "$RB#highmemoryusage" '.attachments[0].text | contains("*Impact:* impact of mem-i2") and contains("*Action:* action for mem-i2") and contains("<" + $rb + "|HighMemoryUsage>")' <<<"$slack" >/dev/null ||
  fail "Slack text lacks impact/action/runbook: $slack"
jq -e '.attachments[0].title | startswith("[FIRING:1] HighMemoryUsage (critical)")' <<<"$slack" >/dev/null || fail "Slack title: $slack"
# PagerDuty: routing key, runbook link, details.
pd=$(jq -c 'select(.kind == "pagerduty") | .body | select(.payload.summary | contains("HighReplicationFailureRate") | not)' "$TMP/sink.jsonl" | grep -m1 'summary of down-c' || true)
[ -n "$pd" ] || fail "no PagerDuty event for FreightlinerDown"
jq -e --arg rb "$RB#freightlinerdown" '.routing_key == "local-stack-routing-key" and .event_action == "trigger"
  and (.links[0].href == $rb) and (.payload.custom_details.runbook_url == $rb)
  and (.payload.custom_details.impact == "impact of down-c")' <<<"$pd" >/dev/null || fail "PagerDuty event: $pd"
# The heartbeat reached the dead-man's switch and nobody else.
[ "$(jq -r 'select(.kind == "webhook") | .body.alerts[].labels.alertname' "$TMP/sink.jsonl" | sort -u)" = Watchdog ] || fail "dead-man's switch payload"
grep -q '"kind":"slack".*Watchdog' "$TMP/sink.jsonl" && fail "Watchdog reached Slack"
note "Slack, PagerDuty and the dead-man's switch received what they should"
echo "alertmanager_live: passed"
