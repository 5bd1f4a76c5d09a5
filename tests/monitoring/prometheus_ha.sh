#!/usr/bin/env bash
# monitoring.prometheus_ha: the high-availability advice of monitoring/README.md, run for real. Two
# Prometheus replicas with prometheus.yml's global section (external labels cluster and
# replica: ${POD_NAME}, expanded with --enable-feature=expand-external-labels as the StatefulSet
# does) and its alert_relabel_configs, the real rule files, and one real Alertmanager. Both send
# Watchdog; Alertmanager must hold ONE Watchdog with cluster=production and no replica label, while
# each replica's series (federation, as remote_write would see them) carry their own replica.
source "$(dirname "$0")/lib.sh"
need prometheus prometheus-alertmanager curl jq node
need_node_modules
make_tmp

mkdir -p "$TMP/am"
sed "s/127.0.0.1:9095/127.0.0.1:1/g" "$MON/alertmanager/alertmanager-local.yml" >"$TMP/am/alertmanager.yml" # receivers unused
cp -r "$MON/alertmanager/templates" "$TMP/am/templates"
start_alertmanager "$TMP/am/alertmanager.yml"

# prometheus.yml with only what this test needs changed: Alertmanager on loopback, rules beside the
# copy, rules evaluated every second, nothing scraped (no cluster DNS here). Alerts are resent every
# second: the first send can happen before Alertmanager is discovered (then it is dropped), and the
# default resend delay would make the test wait a minute for the next.
cp "$MON/prometheus/recording-rules.yml" "$MON/prometheus/alert-rules.yml" "$TMP/"
MON="$MON" AM="127.0.0.1:$am_port" OUT="$TMP" node --input-type=module -e '
  import fs from "node:fs";
  import { loadYaml, YAML } from "'"$MON_TESTS"'/js/common.mjs";
  const cfg = loadYaml(`${process.env.MON}/prometheus/prometheus.yml`);
  cfg.global.evaluation_interval = "1s";
  cfg.alerting.alertmanagers = [{ scheme: "http", api_version: "v2", static_configs: [{ targets: [process.env.AM] }] }];
  cfg.rule_files = ["recording-rules.yml", "alert-rules.yml"].map((f) => `${process.env.OUT}/${f}`);
  cfg.scrape_configs = [];
  fs.writeFileSync(`${process.env.OUT}/prometheus.yml`, YAML.stringify(cfg));'

declare -A prom_port
for replica in prometheus-0 prometheus-1; do
  p=$(free_port)
  prom_port[$replica]=$p
  POD_NAME=$replica prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data-$replica" \
    --enable-feature=expand-external-labels --rules.alert.resend-delay=1s \
    --web.listen-address="127.0.0.1:$p" >"$TMP/$replica.log" 2>&1 &
  pid=$!
  on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
done
for replica in prometheus-0 prometheus-1; do
  wait_http "http://127.0.0.1:${prom_port[$replica]}/-/ready" 60 "$TMP/$replica.log"
done

# Each replica has delivered alerts to Alertmanager (its own counter says so).
for replica in prometheus-0 prometheus-1; do
  sent=0
  for _ in $(seq 1 300); do
    sent=$(curl -fsS -m 10 "http://127.0.0.1:${prom_port[$replica]}/metrics" | awk '/^prometheus_notifications_sent_total/ {s += $2} END {print s + 0}')
    [ "$sent" != 0 ] && break
    sleep 0.1
  done
  [ "$sent" != 0 ] || { tail -20 "$TMP/$replica.log"; fail "$replica sent no alert to Alertmanager"; }
  # Its series carry its own replica label (what remote_write and federation see).
  fed=$(curl -fsS -m 10 -G "http://127.0.0.1:${prom_port[$replica]}/federate" --data-urlencode 'match[]=ALERTS{alertname="Watchdog"}')
  grep -q "replica=\"$replica\"" <<<"$fed" || { echo "$fed"; fail "$replica: series lack replica=\"$replica\""; }
  grep -q 'cluster="production"' <<<"$fed" || { echo "$fed"; fail "$replica: series lack cluster=\"production\""; }
  note "$replica: alerts sent; its series carry replica=\"$replica\" and cluster=\"production\""
done

# Alertmanager: one Watchdog (both replicas' copies are the same alert), with cluster, no replica.
# Polled until both replicas' first sends have landed, then held for a second to catch a late copy.
watchdogs() {
  curl -fsS -m 10 -G "http://127.0.0.1:$am_port/api/v2/alerts" --data-urlencode 'filter=alertname="Watchdog"' |
    jq -c '[.[] | {cluster: .labels.cluster, replica: .labels.replica}]'
}
for _ in $(seq 1 100); do
  [ "$(watchdogs)" != '[]' ] && break
  sleep 0.1
done
sleep 1
got=$(watchdogs)
[ "$got" = '[{"cluster":"production","replica":null}]' ] || fail "Alertmanager's Watchdog alerts: expected one with cluster=production and no replica, got $got"
note "Alertmanager holds one Watchdog for two replicas: $got"
echo "prometheus_ha: passed"
