#!/usr/bin/env bash
# Lists every PromQL expression of the monitoring stack (dashboard panels and variables, recording
# and alert rules) as JSON lines {"source": ..., "expr": ...}, Grafana variables substituted:
#   tests/monitoring/queries.sh                      registry/instance filters ".*", cost 0.09
#   tests/monitoring/queries.sh --set source_registry=127.0.0.1:5001 --set dest_registry=127.0.0.1:5002
# The live end-to-end test feeds each line to Prometheus' /api/v1/query; queries_parse.sh does the
# same against a Prometheus without data, so every expression is known to parse.
source "$(dirname "$0")/lib.sh"
need_node_modules
exec node "$MON_TESTS/js/queries.mjs" "$@"
