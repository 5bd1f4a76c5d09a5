#!/usr/bin/env bash
# monitoring.prometheus_config: both Prometheus configurations load in promtool.
#  - prometheus-local.yml as it is (rule files resolved beside it);
#  - prometheus.yml through a copy whose kubernetes_sd_configs blocks are swapped for file_sd_configs
#    (Debian's promtool has no Kubernetes discovery), after js/prometheus_config.mjs has checked
#    those blocks' fields, the jobs, intervals, rule file paths and external labels of both files.
source "$(dirname "$0")/lib.sh"
need promtool
need_node_modules
make_tmp

node "$MON_TESTS/js/prometheus_config.mjs" "$TMP/k8s"

check() {
  local cfg="$1" out
  out="$(promtool check config "$cfg" 2>&1)" || { echo "$out"; fail "promtool check config $cfg"; }
  echo "$out"
  # Both rule files must be found through rule_files (a wrong path is silently "0 rule files").
  grep -q "SUCCESS: 2 rule files found" <<<"$out" || fail "$cfg: rule_files did not resolve to the two rule files"
}
check "$MON/prometheus/prometheus-local.yml"
check "$TMP/k8s/prometheus-k8s.yml"
echo "prometheus_config: passed"
