// What `make mixin` writes, as one JSON object: path (relative to monitoring/) -> content. build.sh
// renders it (YAML for the rule files and the PrometheusRule, JSON for the dashboards).
// `overrides` is merged into _config: `jsonnet --tla-code overrides='{clusterLabel: "k8s_cluster"}'`.
function(overrides={})
  local mixin = (import 'mixin.libsonnet') + { _config+:: overrides };
  local cfg = mixin._config;
  {
    'prometheus/recording-rules.yml': mixin.prometheusRules,
    'prometheus/alert-rules.yml': mixin.prometheusAlerts,
    'operator/prometheus-rule.yaml': {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {
        name: cfg.prometheusRuleName,
        namespace: cfg.prometheusRuleNamespace,
        labels: cfg.prometheusRuleLabels,
      },
      spec: { groups: mixin.prometheusRules.groups + mixin.prometheusAlerts.groups },
    },
  } + {
    ['grafana/dashboards/' + name]: mixin.grafanaDashboards[name]
    for name in std.objectFields(mixin.grafanaDashboards)
  }
