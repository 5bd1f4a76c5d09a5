#!/usr/bin/env bash
# monitoring.alertmanager_incident: one incident, one page, with a real Alertmanager running
# alertmanager-local.yml and the notification sink.
#  - Cluster prod-a: a destination registry is down. Prometheus fires HighReplicationFailureRate for
#    5 registry pairs x 2 pods (instances) and the replication-availability burn-rate alerts (two
#    pages, one ticket). PagerDuty must get ONE notification (the burn-rate page); the threshold
#    alerts are silenced by it and the ticket by the page.
#  - Cluster prod-c: the same outage with the threshold alerts alone (no burn-rate page yet): ONE
#    notification listing all 10 alerts, grouped despite their instances and registry pairs.
#  - The dead-man's switch receiver of the production file (a fixed URL; its key in a credentials
#    file, as mounted from the Secret alertmanager-secrets) sends the key in the Authorization
#    header: that is how Alertmanager 0.25, without webhook url_file, keeps the secret out of its
#    configuration.
# Deterministic: the alert groups are read back from the API (which alerts each group holds, which
# are inhibited) before the notifications are counted.
source "$(dirname "$0")/lib.sh"
need prometheus-alertmanager curl jq node sha256sum
need_node_modules
make_tmp

start_sink

# The local file with the sink's port, and the dead-man's switch receiver taken from the production
# file with its URL pointed at the sink and its credentials file at a key written here (mode 0600,
# as a mounted Secret would be readable only by Alertmanager).
mkdir -p "$TMP/am/secrets"
printf '%s' "heartbeat-key-$RANDOM$RANDOM" >"$TMP/am/secrets/deadmans-switch-key"
chmod 600 "$TMP/am/secrets/deadmans-switch-key"
cp -r "$MON/alertmanager/templates" "$TMP/am/templates"
MON="$MON" SINK="http://127.0.0.1:$sink_port" KEYFILE="$TMP/am/secrets/deadmans-switch-key" node --input-type=module -e '
  import fs from "node:fs";
  import { loadYaml, YAML } from "'"$MON_TESTS"'/js/common.mjs";
  const mon = process.env.MON;
  const local = loadYaml(`${mon}/alertmanager/alertmanager-local.yml`);
  const prod = loadYaml(`${mon}/alertmanager/alertmanager.yml`);
  const text = YAML.stringify(local).replaceAll("http://127.0.0.1:9095", process.env.SINK);
  const cfg = YAML.parse(text);
  const dms = structuredClone(prod.receivers.find((r) => r.name === "deadmans-switch"));
  const auth = dms.webhook_configs[0].http_config.authorization;
  if (!auth.credentials_file.startsWith("/etc/alertmanager/secrets/")) throw new Error("credentials not from the Secret mount");
  auth.credentials_file = process.env.KEYFILE;
  dms.webhook_configs[0].url = `${process.env.SINK}/webhook/deadmans-switch`;
  cfg.receivers = cfg.receivers.map((r) => (r.name === "deadmans-switch" ? dms : r));
  fs.writeFileSync(process.argv[1], YAML.stringify(cfg));
' "$TMP/am/alertmanager.yml"
grep -q "127.0.0.1:9095" "$TMP/am/alertmanager.yml" && fail "port substitution left 127.0.0.1:9095 behind"

start_alertmanager "$TMP/am/alertmanager.yml"
AM="http://127.0.0.1:$am_port/api/v2"

FR='"alertname":"HighReplicationFailureRate","severity":"critical","component":"replication","slo":"replication-availability"'
BURN='"alertname":"ReplicationAvailabilityBudgetBurn","component":"replication","slo":"replication-availability"'
for cluster in prod-a prod-c; do
  for pod in 10.1.0.7:2112 10.1.0.8:2112; do
    for src in r1 r2 r3 r4 r5; do
      alert "$cluster-fr-$src-$pod" '{"cluster":"'$cluster'",'"$FR"',"instance":"'$pod'","source_registry":"'$src'.example","dest_registry":"mirror.example"}'
    done
  done
done
alert prod-a-burn-1h '{"cluster":"prod-a",'"$BURN"',"severity":"critical","burn_rate":"14.4","long_window":"1h","short_window":"5m"}'
alert prod-a-burn-6h '{"cluster":"prod-a",'"$BURN"',"severity":"critical","burn_rate":"6","long_window":"6h","short_window":"30m"}'
alert prod-a-burn-1d '{"cluster":"prod-a",'"$BURN"',"severity":"warning","burn_rate":"3","long_window":"1d","short_window":"2h"}'
alert watchdog '{"alertname":"Watchdog","severity":"none","component":"alerting","cluster":"prod-a"}'
curl -fsS -m 10 -XPOST -H 'Content-Type: application/json' --data "$alerts" "$AM/alerts" >/dev/null || fail "posting alerts"

# Groups of the PagerDuty receiver: "cluster alertname active-count suppressed-count", sorted.
pd_groups() {
  curl -fsS -m 10 "$AM/alerts/groups?receiver=pagerduty-critical" | jq -r '.[]
    | "\(.labels.cluster) \(.labels.alertname) \([.alerts[] | select(.status.state == "active")] | length) \([.alerts[] | select(.status.state == "suppressed")] | length)"' | sort
}
want_groups=$'prod-a HighReplicationFailureRate 0 10\nprod-a ReplicationAvailabilityBudgetBurn 2 0\nprod-c HighReplicationFailureRate 10 0'
got_groups=""
for _ in $(seq 1 50); do
  got_groups=$(pd_groups)
  [ "$got_groups" = "$want_groups" ] && break
  sleep 0.1
done
[ "$got_groups" = "$want_groups" ] || { echo "expected:"; echo "$want_groups"; echo "got:"; echo "$got_groups"; fail "PagerDuty alert groups"; }
note "PagerDuty groups: one per cluster and alert name; prod-a's 10 threshold alerts silenced by its burn-rate page"

# Notifications: critical groups wait 10 s, then flush together. Wait for both PagerDuty events.
pd_events() { [ -s "$TMP/sink.jsonl" ] && jq -c 'select(.kind == "pagerduty")' "$TMP/sink.jsonl" || true; }
for _ in $(seq 1 300); do
  [ "$(pd_events | grep -c .)" -ge 2 ] && break
  sleep 0.1
done
sleep 1 # a third event of the same flush would arrive now
events=$(pd_events)
[ "$(grep -c . <<<"$events")" = 2 ] || { echo "$events"; fail "expected 2 PagerDuty events (one per cluster), got $(grep -c . <<<"$events")"; }
a=$(grep 'cluster=prod-a' <<<"$events" || true)
c=$(grep 'cluster=prod-c' <<<"$events" || true)
[ "$(grep -c . <<<"$a")" = 1 ] || fail "prod-a: expected one PagerDuty event, got: $a"
[ "$(grep -c . <<<"$c")" = 1 ] || fail "prod-c: expected one PagerDuty event, got: $c"
jq -e '.body.payload.summary | startswith("[FIRING:2] ReplicationAvailabilityBudgetBurn (critical)")' <<<"$a" >/dev/null || fail "prod-a page: $a"
grep -q 'fr-' <<<"$a" && fail "prod-a page carries a silenced threshold alert: $a"
grep -q 'burn-1d' <<<"$a" && fail "prod-a page carries the silenced ticket: $a"
jq -e '.body.payload.summary | startswith("[FIRING:10] HighReplicationFailureRate (critical)")' <<<"$c" >/dev/null || fail "prod-c page: $c"
for src in r1 r2 r3 r4 r5; do
  for pod in 10.1.0.7:2112 10.1.0.8:2112; do
    grep -qF "summary of prod-c-fr-$src-$pod" <<<"$c" || fail "prod-c page lacks $src on $pod"
  done
done
note "one destination outage, 5 registry pairs x 2 pods: one PagerDuty event per cluster"
for r in slack-critical slack-replication; do
  n=$(jq -r --arg r "$r" 'select(.receiver == $r) | .body.attachments[0].title' "$TMP/sink.jsonl" | sort)
  [ "$n" = $'[FIRING:10] HighReplicationFailureRate (critical)\n[FIRING:2] ReplicationAvailabilityBudgetBurn (critical)' ] ||
    fail "$r: expected one message per cluster, got: $n"
done
note "#freightliner-critical and #freightliner-replication: one message per cluster too"

# The heartbeat carried the key from the credentials file, in the scheme of the production file.
scheme=$(node --input-type=module -e '
  import { loadYaml } from "'"$MON_TESTS"'/js/common.mjs";
  const p = loadYaml("'"$MON"'/alertmanager/alertmanager.yml");
  console.log(p.receivers.find((r) => r.name === "deadmans-switch").webhook_configs[0].http_config.authorization.type);')
want_auth=$(jq -cn --arg s "$scheme" --arg h "$(sha256sum <"$TMP/am/secrets/deadmans-switch-key" | cut -d' ' -f1)" '{scheme: $s, sha256: $h}')
got_auth=$(jq -c 'select(.kind == "webhook") | .auth' "$TMP/sink.jsonl" | sort -u)
[ "$got_auth" = "$want_auth" ] || fail "dead-man's switch Authorization: expected $want_auth, got $got_auth"
grep -qF "$(cat "$TMP/am/secrets/deadmans-switch-key")" "$TMP/am/alertmanager.yml" && fail "the key leaked into the configuration"
note "dead-man's switch: $scheme key sent from the credentials file"
echo "alertmanager_incident: passed"
