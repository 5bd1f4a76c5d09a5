#!/usr/bin/env bash
# monitoring.promtool_rules: the rule files load (promtool check rules) and behave (promtool test
# rules: every alert fires when it should and stays quiet when it should not, every burn-rate
# alert, the SLI and error-budget values, zero traffic giving a full budget).
source "$(dirname "$0")/lib.sh"
need promtool

echo "promtool check rules"
out="$(promtool check rules "$MON/prometheus/recording-rules.yml" "$MON/prometheus/alert-rules.yml" 2>&1)" ||
  { echo "$out"; fail "promtool check rules"; }
echo "$out"
# promtool prints "SUCCESS: N rules found" per file; none may be empty.
[ "$(grep -c 'SUCCESS: [1-9][0-9]* rules found' <<<"$out")" = 2 ] || fail "expected two non-empty rule files"

echo "promtool test rules"
cd "$MON_TESTS/rules"
tests=(*_test.yml)
[ ${#tests[@]} -ge 2 ] || fail "no promtool test files in tests/monitoring/rules"
promtool test rules "${tests[@]}" || fail "promtool test rules"
echo "promtool_rules: passed (${#tests[@]} test files)"
