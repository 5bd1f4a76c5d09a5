#!/usr/bin/env bash
# monitoring.kubernetes: the kustomizations build (`kubectl kustomize monitoring/`, deploy/, its
# cluster variant deploy/cluster/, and the
# Prometheus Operator path monitoring/operator/), every object (and each raw manifest as the docs'
# manual steps apply it)
# validates against the kubernetes-models schemas with unknown fields rejected
# (k8s-validate/validate.mjs), and the manifests mean what they must (js/k8s_check.mjs).
source "$(dirname "$0")/lib.sh"
need kubectl
need_node_modules
make_tmp

kubectl kustomize "$MON" >"$TMP/monitoring.yaml" 2>"$TMP/err" || { cat "$TMP/err"; fail "kubectl kustomize monitoring/"; }
kubectl kustomize "$REPO/deploy" >"$TMP/deploy.yaml" 2>"$TMP/err" || { cat "$TMP/err"; fail "kubectl kustomize deploy/"; }
kubectl kustomize "$REPO/deploy/cluster" >"$TMP/cluster.yaml" 2>"$TMP/err" || { cat "$TMP/err"; fail "kubectl kustomize deploy/cluster/"; }
kubectl kustomize "$MON/operator" >"$TMP/operator.yaml" 2>"$TMP/err" || { cat "$TMP/err"; fail "kubectl kustomize monitoring/operator/"; }
note "kubectl kustomize monitoring/: $(grep -c '^kind:' "$TMP/monitoring.yaml") objects; deploy/: $(grep -c '^kind:' "$TMP/deploy.yaml") objects; operator/: $(grep -c '^kind:' "$TMP/operator.yaml") objects"

node "$NODE_DIR/validate.mjs" "$TMP/monitoring.yaml" "$TMP/deploy.yaml" "$TMP/operator.yaml" "$MON"/kubernetes/*.yaml "$MON"/operator/*-*.yaml "$REPO"/deploy/base/{namespace,deployment,service,networkpolicy}.yaml "$TMP/cluster.yaml" "$REPO"/deploy/cluster/poddisruptionbudget.yaml
node "$MON_TESTS/js/k8s_check.mjs" "$TMP/monitoring.yaml" "$TMP/deploy.yaml" "$TMP/operator.yaml" "$TMP/cluster.yaml"
echo "kubernetes: passed"
