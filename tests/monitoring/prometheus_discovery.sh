#!/usr/bin/env bash
# monitoring.prometheus_discovery: the relabeling of the `freightliner` job, run by a real
# Prometheus. The job's kubernetes_sd_configs is swapped for file_sd_configs fed with the same
# __meta_kubernetes_* labels that pod discovery produces (one candidate per declared container
# port), for a set of pods; Prometheus must end with exactly one target per opted-in pod, on its
# metrics port, and none for the others (not Prometheus itself, not opted-out, not finished pods).
# Fake pods use loopback addresses, so the scrapes Prometheus attempts stay on this machine.
source "$(dirname "$0")/lib.sh"
need prometheus curl jq
need_node_modules
make_tmp

node "$MON_TESTS/js/prometheus_config.mjs" "$TMP/k8s" >/dev/null

# pod NAME IP PORT_NAME PORT_NUMBER [label=value...]: one discovery candidate.
pod() {
  local name="$1" ip="$2" pname="$3" pnum="$4"
  shift 4
  local labels
  labels=$(jq -n --arg name "$name" --arg ip "$ip" --arg pname "$pname" --arg pnum "$pnum" '{
      "__meta_kubernetes_namespace": "freightliner",
      "__meta_kubernetes_pod_name": $name,
      "__meta_kubernetes_pod_ip": $ip,
      "__meta_kubernetes_pod_phase": "Running",
      "__meta_kubernetes_pod_ready": "true",
      "__meta_kubernetes_pod_node_name": "node-1",
      "__meta_kubernetes_pod_label_app_kubernetes_io_name": "freightliner",
      "__meta_kubernetes_pod_container_name": "freightliner",
      "__meta_kubernetes_pod_container_port_name": $pname,
      "__meta_kubernetes_pod_container_port_number": $pnum,
      "__meta_kubernetes_pod_container_port_protocol": "TCP"}')
  local kv
  for kv in "$@"; do
    labels=$(jq --arg k "${kv%%=*}" --arg v "${kv#*=}" '.[$k] = $v' <<<"$labels")
  done
  local addr="$ip:$pnum"
  [[ "$ip" == *:* ]] && addr="[$ip]:$pnum"
  jq -n --arg addr "$addr" --argjson labels "$labels" '{targets: [$addr], labels: $labels}'
}
A=__meta_kubernetes_pod_annotation_prometheus_io
{
  # a: annotated, ports http and metrics -> one target on 2112
  pod fl-a 127.0.0.11 http 8080 "${A}_scrape=true"
  pod fl-a 127.0.0.11 metrics 2112 "${A}_scrape=true"
  # b: no annotation, port named metrics -> target on 2112
  pod fl-b 127.0.0.12 http 8080
  pod fl-b 127.0.0.12 metrics 2112
  # c: annotated, declares only its API port -> target on 2112 anyway
  pod fl-c 127.0.0.13 http 8080 "${A}_scrape=true"
  # d: neither annotation nor metrics port -> nothing
  pod other-d 127.0.0.14 http 8080
  # e: opted out explicitly -> nothing, even with a metrics port
  pod fl-e 127.0.0.15 metrics 2112 "${A}_scrape=false"
  # f: a Prometheus pod that opts in -> nothing (never scrape Prometheus as freightliner)
  pod prometheus-0 127.0.0.16 web 9090 "${A}_scrape=true" __meta_kubernetes_pod_label_app_kubernetes_io_name=prometheus
  # g: annotated with its own port -> target on that port
  pod fl-g 127.0.0.17 http 8080 "${A}_scrape=true" "${A}_port=9102"
  # h: a finished pod -> nothing
  pod fl-h 127.0.0.18 metrics 2112 __meta_kubernetes_pod_phase=Succeeded
  # i: IPv6 pod -> [ip]:2112
  pod fl-i ::1 metrics 2112
} | jq -s . >"$TMP/k8s/sd-freightliner.json"

start_prometheus "$TMP/k8s/prometheus-discovery.yml"

expected='["127.0.0.11:2112 fl-a","127.0.0.12:2112 fl-b","127.0.0.13:2112 fl-c","127.0.0.17:9102 fl-g","[::1]:2112 fl-i"]'
got=""
for _ in $(seq 1 100); do
  got=$(curl -fsS -m 10 "http://127.0.0.1:$port/api/v1/targets?state=active" |
    jq -c '[.data.activeTargets[] | select(.labels.job == "freightliner") | "\(.labels.instance) \(.labels.pod)"] | sort')
  [ "$got" = "$expected" ] && break
  sleep 0.1
done
[ "$got" = "$expected" ] || { echo "expected: $expected"; echo "got:      $got"; fail "freightliner targets after relabeling"; }
note "targets: $got"

# Every kept target carries the labels the dashboards and alerts group by.
labels=$(curl -fsS -m 10 "http://127.0.0.1:$port/api/v1/targets?state=active" |
  jq -c '[.data.activeTargets[] | .labels | {job, namespace, node} ] | unique')
[ "$labels" = '[{"job":"freightliner","namespace":"freightliner","node":"node-1"}]' ] || fail "target labels: $labels"
# And the scrape URL is the metrics path on that address.
urls=$(curl -fsS -m 10 "http://127.0.0.1:$port/api/v1/targets?state=active" | jq -r '.data.activeTargets[].scrapeUrl' | sort | tr '\n' ' ')
[ "$urls" = "http://127.0.0.11:2112/metrics http://127.0.0.12:2112/metrics http://127.0.0.13:2112/metrics http://127.0.0.17:9102/metrics http://[::1]:2112/metrics " ] ||
  fail "scrape URLs: $urls"
echo "prometheus_discovery: passed (5 opted-in pods -> 5 targets; 5 others dropped)"
