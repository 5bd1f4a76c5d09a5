// The mixin's knobs. Override any of them when you vendor the mixin:
//   (import 'freightliner-mixin/mixin.libsonnet') + { _config+:: { freightlinerSelector: 'job="freightliner-prod"' } }
{
  _config+:: {
    // Label matchers that select Freightliner's scrape targets (`serve` mode's /metrics). Used in the
    // alerts that look at targets (up, process_start_time_seconds) and in the dashboards' queries.
    freightlinerSelector: 'job="freightliner"',

    // The label that tells clusters apart where several meet (one Alertmanager, Thanos, Mimir). Every
    // aggregation and join of the rules keeps it, so no rule adds up two clusters. In one Prometheus
    // it is an external label: absent from the series, attached to alerts.
    clusterLabel: 'cluster',

    // Where the runbooks are published: each alert's runbook_url is runbookURLPattern with %s the
    // alert's name in lower case (a Markdown anchor of SLO_RUNBOOKS.md by default). Point
    // runbookBaseURL at your copy of monitoring/docs/SLO_RUNBOOKS.md (a Git host, a wiki), or set
    // runbookURLPattern itself for one page per alert.
    runbookBaseURL: 'https://github.com/freightliner/freightliner/blob/main/monitoring/docs/SLO_RUNBOOKS.md',
    runbookURLPattern: self.runbookBaseURL + '#%s',

    // SLO objectives: the burn-rate alerts and the error-budget recording rules compare with them.
    // (The burn-rate windows and factors follow the SRE workbook for a 30d/7d budget.)
    slo: {
      replicationAvailability: 0.999,  // replications (real copies) that succeed, over 30 days
      replicationLatency: 0.99,  // replications that finish within 60 s, over 7 days
      httpAvailability: 0.995,  // API requests (probes left out) without a 5xx, over 30 days
    },

    // Thresholds of the threshold alerts.
    thresholds: {
      replicationFailureRatio: 0.10,  // HighReplicationFailureRate
      minRatioEvents: 20,  // fewest events in the window before a ratio alert may fire
      replicationDurationP95Seconds: 300,  // HighReplicationDuration
      workerPoolSaturation: 0.9,  // WorkerPoolSaturated
      httpLatencyP95Seconds: 5,  // HighHTTPLatency
      http5xxPerSecond: 1,  // HighHTTP5xxRate
      authFailuresPerSecond: 5,  // HighAuthFailureRate
      memoryGiB: 4,  // HighMemoryUsage: resident memory in GiB
      pushLagP95Seconds: 60,  // PushReplicationLagHigh: push event -> its tag copied, P95 over 30m
      minPushEvents: 5,  // fewest copies from push events in 30m before it may fire
      queuedJobMaxAgeSeconds: 900,  // JobQueueStalled: the oldest queued job has waited this long
    },

    // Grafana: the uid of the Prometheus data source the dashboards' `datasource` variable starts
    // on (monitoring/grafana/provisioning/datasources/prometheus.yml provisions it), the dashboards'
    // uids (links and bookmarks use them) and the prefix of their titles.
    grafanaDatasourceUID: 'freightliner-prometheus',
    dashboardUIDs: {
      'replication-overview.json': 'freightliner-replication-overview',
      'infrastructure-metrics.json': 'freightliner-infrastructure',
      'business-metrics.json': 'freightliner-business',
      'error-latency.json': 'freightliner-error-latency',
    },
    dashboardTitlePrefix: 'Freightliner / ',
    dashboardTags: ['freightliner'],

    // The Prometheus Operator's PrometheusRule (monitoring/operator/prometheus-rule.yaml): where it
    // goes and the labels the Prometheus resource's ruleSelector matches (kube-prometheus selects
    // every PrometheusRule in its namespaces; kube-prometheus-stack wants `release: <its name>`).
    prometheusRuleName: 'freightliner',
    prometheusRuleNamespace: 'monitoring',
    prometheusRuleLabels: {
      'app.kubernetes.io/name': 'freightliner',
      'app.kubernetes.io/part-of': 'freightliner-monitoring',
      prometheus: 'k8s',
      role: 'alert-rules',
    },
  },
}
