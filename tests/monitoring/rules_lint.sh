#!/usr/bin/env bash
# monitoring.rules_lint: what promtool does not check (see js/rules_lint.mjs): the spec's alert
# table, labels and annotations on every alert, runbook anchors that exist in SLO_RUNBOOKS.md,
# templates reading only annotations that every alert sets, rule windows, bucket matching, and
# only metric names the binary exports.
source "$(dirname "$0")/lib.sh"
need_node_modules
node "$MON_TESTS/js/rules_lint.mjs"
