#!/usr/bin/env bash
# monitoring.dashboards: the Grafana dashboards and provisioning files (see js/dashboards.mjs):
# valid bare models, stable unique uids, unique panel ids, the datasource variable everywhere,
# every variable used, only exported metrics and defined recording rules, the spec's key panels,
# SLO threshold lines, the latency heatmap.
source "$(dirname "$0")/lib.sh"
need_node_modules
node "$MON_TESTS/js/dashboards.mjs"
