// Freightliner's monitoring mixin: Prometheus alerts and recording rules and Grafana dashboards for
// the freightliner_* metrics of `freightliner serve`, configured by _config (config.libsonnet).
//
//   local freightliner = (import 'freightliner-mixin/mixin.libsonnet') + {
//     _config+:: { freightlinerSelector: 'job="freightliner"', clusterLabel: 'cluster' },
//   };
//   freightliner.prometheusAlerts    // { groups: [...] }: a Prometheus rule file / PrometheusRule spec
//   freightliner.prometheusRules     // { groups: [...] }: recording rules
//   freightliner.grafanaDashboards   // { 'replication-overview.json': {...}, ... }
//
// monitoring/prometheus/*-rules.yml, monitoring/grafana/dashboards/*.json and
// monitoring/operator/prometheus-rule.yaml are generated from it by `make mixin`.
(import 'config.libsonnet') +
(import 'rules.libsonnet') +
(import 'alerts.libsonnet') +
(import 'dashboards.libsonnet')
