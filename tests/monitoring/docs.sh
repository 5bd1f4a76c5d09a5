#!/usr/bin/env bash
# monitoring.docs: the kubectl steps of monitoring/docs/MONITORING_SETUP.md match the files (the
# ConfigMaps they create, offline with --dry-run=client, equal those kustomize generates; every
# file, Service, port, workload and Secret key they name exists); SLO_RUNBOOKS.md has a complete
# section per alert; PromQL in the docs names only real metrics (js/docs_check.mjs).
source "$(dirname "$0")/lib.sh"
need kubectl
need_node_modules
make_tmp
kubectl kustomize "$MON" >"$TMP/monitoring.yaml" || fail "kubectl kustomize monitoring/"
kubectl kustomize "$REPO/deploy" >"$TMP/deploy.yaml" || fail "kubectl kustomize deploy/"
node "$MON_TESTS/js/docs_check.mjs" "$TMP/monitoring.yaml" "$TMP/deploy.yaml"
