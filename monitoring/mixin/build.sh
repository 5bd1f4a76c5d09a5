#!/usr/bin/env bash
# Renders the mixin into the files this repository ships (`make mixin` runs it):
#   monitoring/prometheus/recording-rules.yml, alert-rules.yml   (prometheusRules, prometheusAlerts)
#   monitoring/grafana/dashboards/*.json                         (grafanaDashboards)
#   monitoring/operator/prometheus-rule.yaml                     (both rule sets as a PrometheusRule)
#
# usage: build.sh [OUT_DIR [OVERRIDES]]
#   OUT_DIR    where to write (default: monitoring/ of this repository)
#   OVERRIDES  jsonnet code merged into _config, e.g. '{clusterLabel: "k8s_cluster"}' (default {})
# Needs Debian's jsonnet (0.18 or later) and python3 (standard library only).
set -euo pipefail
MIXIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$MIXIN/..}"
OVERRIDES="${2:-{\}}"
command -v jsonnet >/dev/null || { echo "build.sh: jsonnet is not installed (apt-get install jsonnet)" >&2; exit 1; }
json="$(jsonnet -J "$MIXIN" --tla-code overrides="$OVERRIDES" "$MIXIN/build.jsonnet")"
python3 "$MIXIN/render.py" "$OUT" <<<"$json"
