#!/usr/bin/env bash
# monitoring.queries_live: every dashboard query and rule expression (queries.sh) runs in a real
# Prometheus that holds three hours of synthetic metrics shaped exactly like the contract
# (js/synthetic_metrics.mjs, backfilled with promtool) and evaluates the real rule files: each must
# parse, and each panel query and recording rule must return data (not nothing, not NaN). This
# catches label typos and wrong names that a parse check cannot. The live end-to-end test runs the
# same list against the real binary. The data holds three replicas of a cluster: the panels of the
# cluster metrics must add them up the right way (js/aggregation_check.mjs: the job-store gauges
# once, not once per replica; the replicas' own series summed).
source "$(dirname "$0")/lib.sh"
need prometheus promtool
need_node_modules
make_tmp

node "$MON_TESTS/js/synthetic_metrics.mjs" >"$TMP/metrics.om"
promtool tsdb create-blocks-from openmetrics "$TMP/metrics.om" "$TMP/data" >/dev/null ||
  fail "backfilling synthetic metrics"

# The rule files, with every group evaluated every 15 s so that the long-window groups (1m, 5m in
# production) have run before the queries.
mkdir -p "$TMP/rules"
for f in recording-rules.yml alert-rules.yml; do
  sed -E 's/^(    interval: ).*/\115s/' "$MON/prometheus/$f" >"$TMP/rules/$f"
done
cat >"$TMP/prometheus.yml" <<YAML
global:
  evaluation_interval: 15s
rule_files:
  - $TMP/rules/recording-rules.yml
  - $TMP/rules/alert-rules.yml
YAML
start_prometheus "$TMP/prometheus.yml"

# Wait until every rule group has been evaluated once: every recording rule has a series.
want=$(grep -c -- '- record:' "$TMP/rules/recording-rules.yml")
n=0
for _ in $(seq 1 300); do
  n=$(curl -fsS -m 10 "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query=count(count by (__name__) ({__name__=~".+:.+"}))' |
    jq -r '.data.result[0].value[1] // 0')
  [ "$n" = "$want" ] && break
  sleep 0.2
done
[ "$n" = "$want" ] || { tail -20 "$TMP/prometheus.log"; fail "only $n of $want recording rules produced series"; }

# Twice: with the variables' "All" value (.*), and pinned to values that exist in the data, which
# also catches a misspelt label (a matcher on a missing label still matches ".*").
"$MON_TESTS/queries.sh" >"$TMP/queries-all.jsonl"
node "$MON_TESTS/js/run_queries.mjs" --prometheus "http://127.0.0.1:$port" --require-data <"$TMP/queries-all.jsonl"
"$MON_TESTS/queries.sh" --set source_registry=registry-a.example --set dest_registry=mirror.example \
  --set instance=127.0.0.1:2112 >"$TMP/queries-one.jsonl"
node "$MON_TESTS/js/run_queries.mjs" --prometheus "http://127.0.0.1:$port" --require-data <"$TMP/queries-one.jsonl"
node "$MON_TESTS/js/aggregation_check.mjs" --prometheus "http://127.0.0.1:$port"
echo "queries_live: passed"
