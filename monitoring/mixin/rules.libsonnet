// Recording rules for Freightliner.
//
// Naming follows Prometheus' level:metric:operations convention: the level lists the labels kept
// (job_source_registry_dest_registry: one series per registry pair), the operation the function and
// window. Dashboards and alert-rules.yml use these names; tests/monitoring/dashboards.sh fails if a
// dashboard names a recording rule that this file does not define.
//
// Ratios never divide by zero: a denominator filtered with `> 0` yields no series instead of NaN, and
// the SLI ratios fall back to `total * 0` so that a service with no traffic reports 0 errors (and
// therefore a full error budget) instead of NaN.
//
// Every aggregation keeps `cluster` (by (cluster, job, ...)). In one Prometheus the label is absent
// from the series (it is an external label, attached to alerts and remote-written series), so this
// changes nothing there; where series of several clusters meet (Thanos, Mimir, a global ruler, the
// promtool tests) no rule adds up two clusters. The level prefix names only the other labels.
//
// What counts as an event:
//   replications  real copies only: status="success" or "failed". A tag that was already up to date
//                 (status="up_to_date", a no-op resync) moves no SLI and no ratio; the duration
//                 histogram does not observe it either.
//   HTTP          API requests only: the probe and scrape paths /health, /ready and /metrics are left
//                 out, so a draining pod's 503 on /ready (or a slow scrape) moves no SLI.
//
// Histogram buckets are matched with le=~"60(\\.0)?": Prometheus 3 normalises `le` to "60.0" while
// 2.x keeps the exposed "60"; the regex matches both.

local promql = import 'promql.libsonnet';

{
  local cfg = $._config + promql.numbers($._config.slo),

  prometheusRules+:: {
    groups+: [
      {
        name: 'freightliner.replication',
        rules: [
          {
            record: 'job_source_registry_dest_registry:freightliner_replications:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry) (rate(freightliner_replications_total{status=~"success|failed"}[5m]))' % cfg,
          },
          {
            record: 'job_source_registry_dest_registry:freightliner_replications_failed:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry) (rate(freightliner_replications_total{status="failed"}[5m]))' % cfg,
          },
          // No series (not NaN) for a pair without traffic in the window.
          {
            record: 'job_source_registry_dest_registry:freightliner_replication_failure_ratio:rate5m',
            expr: |||
              job_source_registry_dest_registry:freightliner_replications_failed:rate5m
                / (job_source_registry_dest_registry:freightliner_replications:rate5m > 0)
            |||,
          },
          // Real copies per pair over the alert's window: HighReplicationFailureRate needs at least 20.
          {
            record: 'job_source_registry_dest_registry:freightliner_replications:increase5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry) (increase(freightliner_replications_total{status=~"success|failed"}[5m]))' % cfg,
          },
          {
            record: 'job_source_registry_dest_registry:freightliner_replication_bytes:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry) (rate(freightliner_replication_bytes_total[5m]))' % cfg,
          },
          {
            record: 'job_source_registry_dest_registry:freightliner_replication_layers:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry) (rate(freightliner_replication_layers_total[5m]))' % cfg,
          },
          {
            record: 'job_source_registry_dest_registry_error_type:freightliner_replication_errors:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry, error_type) (rate(freightliner_replication_errors_total[5m]))' % cfg,
          },
          {
            record: 'job_source_registry_dest_registry_le:freightliner_replication_duration_seconds_bucket:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, source_registry, dest_registry, le) (rate(freightliner_replication_duration_seconds_bucket[5m]))' % cfg,
          },
          {
            record: 'job_source_registry_dest_registry:freightliner_replication_duration_seconds:p95_rate5m',
            expr: 'histogram_quantile(0.95, job_source_registry_dest_registry_le:freightliner_replication_duration_seconds_bucket:rate5m)',
          },
          {
            record: 'job_source_registry_dest_registry:freightliner_replication_duration_seconds:p99_rate5m',
            expr: 'histogram_quantile(0.99, job_source_registry_dest_registry_le:freightliner_replication_duration_seconds_bucket:rate5m)',
          },
        ],
      },
      {
        name: 'freightliner.http',
        rules: [
          {
            record: 'job_method_path_status:freightliner_http_requests:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, method, path, status) (rate(freightliner_http_requests_total[5m]))' % cfg,
          },
          {
            record: 'job:freightliner_http_requests:rate5m',
            expr: 'sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[5m]))' % cfg,
          },
          {
            record: 'job:freightliner_http_requests_5xx:rate5m',
            expr: 'sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[5m]))' % cfg,
          },
          {
            record: 'job_le:freightliner_http_request_duration_seconds_bucket:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, le) (rate(freightliner_http_request_duration_seconds_bucket{path!~"/health|/ready|/metrics"}[5m]))' % cfg,
          },
          {
            record: 'job:freightliner_http_request_duration_seconds:p95_rate5m',
            expr: 'histogram_quantile(0.95, job_le:freightliner_http_request_duration_seconds_bucket:rate5m)',
          },
          {
            record: 'job:freightliner_http_request_duration_seconds:p99_rate5m',
            expr: 'histogram_quantile(0.99, job_le:freightliner_http_request_duration_seconds_bucket:rate5m)',
          },
        ],
      },
      {
        name: 'freightliner.runtime',
        rules: [
          // Busy workers over pool size. A pool of size 0 (not started yet, or being resized) yields no
          // series rather than 0/0 = NaN, so WorkerPoolSaturated can never evaluate NaN.
          {
            record: 'instance:freightliner_worker_pool_utilization:ratio',
            expr: |||
              max by (%(clusterLabel)s, job, instance) (freightliner_worker_pool_active)
                / (max by (%(clusterLabel)s, job, instance) (freightliner_worker_pool_size) > 0)
            ||| % cfg,
          },
          {
            record: 'job_type_status:freightliner_jobs:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, type, status) (rate(freightliner_jobs_total[5m]))' % cfg,
          },
          {
            record: 'job:freightliner_auth_failures:rate5m',
            expr: 'sum by (%(clusterLabel)s, job) (rate(freightliner_auth_failures_total[5m]))' % cfg,
          },
          {
            record: 'job_type:freightliner_auth_failures:rate5m',
            expr: 'sum by (%(clusterLabel)s, job, type) (rate(freightliner_auth_failures_total[5m]))' % cfg,
          },
        ],
      },
      // SLIs. Three SLOs (monitoring/docs/SLO_RUNBOOKS.md#slo-definitions):
      //   replication availability  99.9% of replications succeed, over 30 days
      //   replication latency       99% of replications finish in under 60 s, over 7 days
      //   HTTP API availability     99.5% of API requests are not 5xx, over 30 days
      // Each SLI is an error ratio (bad events / all events) over the windows the multiwindow burn-rate
      // alerts need: 5m 30m 1h 2h 6h 1d 3d for the 30-day SLOs, and the same windows scaled by 7/30 for
      // the 7-day latency SLO (1m10s 7m 14m 28m 1h24m 5h36m 16h48m), plus each SLO's whole window.
      // Short windows are evaluated every 15 s; long ones less often, since they barely move between two
      // evaluations and cost the most.
      {
        name: 'freightliner.slo.short',
        rules: [
          {
            record: 'job:freightliner_replication_error_ratio:rate5m',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[5m])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[5m])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[5m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[5m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_error_ratio:rate30m',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[30m])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[30m])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[30m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[30m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_error_ratio:rate1h',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[1h])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[1h])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[1h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[1h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_error_ratio:rate2h',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[2h])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[2h])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[2h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[2h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_error_ratio:rate6h',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[6h])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[6h])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[6h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[6h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate1m10s',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1m10s]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[1m10s]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1m10s])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1m10s])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate5m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[5m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[5m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[5m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[5m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate7m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[7m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[7m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[7m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[7m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate14m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[14m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[14m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[14m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[14m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate28m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[28m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[28m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[28m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[28m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate30m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[30m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[30m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[30m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[30m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate1h',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1h]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[1h]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate1h24m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1h24m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[1h24m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1h24m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1h24m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate2h',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[2h]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[2h]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[2h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[2h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate6h',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[6h]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[6h]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[6h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[6h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate5m',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[5m])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[5m])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[5m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[5m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate30m',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[30m])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[30m])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[30m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[30m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate1h',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[1h])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1h])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate2h',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[2h])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[2h])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[2h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[2h])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate6h',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[6h])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[6h])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[6h])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[6h])) * 0
            ||| % cfg,
          },
          // Events in each paging window (the long window of a critical burn-rate alert): an alert
          // needs at least 20 events and at least 2 bad ones there (see alert-rules.yml, "Low traffic").
          {
            record: 'job:freightliner_replications:increase1h',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replications_total{status=~"success|failed"}[1h]))' % cfg,
          },
          {
            record: 'job:freightliner_replications:increase6h',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replications_total{status=~"success|failed"}[6h]))' % cfg,
          },
          {
            record: 'job:freightliner_replication_duration_seconds_count:increase14m',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replication_duration_seconds_count[14m]))' % cfg,
          },
          {
            record: 'job:freightliner_replication_duration_seconds_count:increase1h24m',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replication_duration_seconds_count[1h24m]))' % cfg,
          },
          {
            record: 'job:freightliner_http_requests:increase1h',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1h]))' % cfg,
          },
          {
            record: 'job:freightliner_http_requests:increase6h',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[6h]))' % cfg,
          },
        ],
      },
      {
        name: 'freightliner.slo.long',
        interval: '1m',
        rules: [
          // Events in each ticket window (long window of a warning burn-rate alert).
          {
            record: 'job:freightliner_replications:increase1d',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replications_total{status=~"success|failed"}[1d]))' % cfg,
          },
          {
            record: 'job:freightliner_replications:increase3d',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replications_total{status=~"success|failed"}[3d]))' % cfg,
          },
          {
            record: 'job:freightliner_replication_duration_seconds_count:increase5h36m',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replication_duration_seconds_count[5h36m]))' % cfg,
          },
          {
            record: 'job:freightliner_replication_duration_seconds_count:increase16h48m',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_replication_duration_seconds_count[16h48m]))' % cfg,
          },
          {
            record: 'job:freightliner_http_requests:increase1d',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1d]))' % cfg,
          },
          {
            record: 'job:freightliner_http_requests:increase3d',
            expr: 'sum by (%(clusterLabel)s, job) (increase(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[3d]))' % cfg,
          },
          {
            record: 'job:freightliner_replication_error_ratio:rate1d',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[1d])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[1d])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[1d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[1d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_error_ratio:rate3d',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[3d])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[3d])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[3d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[3d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate5h36m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[5h36m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[5h36m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[5h36m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[5h36m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate16h48m',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[16h48m]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[16h48m]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[16h48m])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[16h48m])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate1d',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1d]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[1d]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[1d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate3d',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[3d]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[3d]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[3d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[3d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate1d',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[1d])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1d])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[1d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate3d',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[3d])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[3d])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[3d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[3d])) * 0
            ||| % cfg,
          },
        ],
      },
      {
        name: 'freightliner.slo.budget',
        interval: '5m',
        rules: [
          {
            record: 'job:freightliner_replication_error_ratio:rate30d',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status="failed"}[30d])) or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[30d])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[30d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replications_total{status=~"success|failed"}[30d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_replication_slow_ratio:rate7d',
            expr: |||
              (
                (
                  sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[7d]))
                    - sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_bucket{le=~"60(\\.0)?"}[7d]))
                )
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[7d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_replication_duration_seconds_count[7d])) * 0
            ||| % cfg,
          },
          {
            record: 'job:freightliner_http_error_ratio:rate30d',
            expr: |||
              (
                (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{status=~"5..", path!~"/health|/ready|/metrics"}[30d])) or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[30d])) * 0)
                  / (sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[30d])) > 0)
              )
              or sum by (%(clusterLabel)s, job) (rate(freightliner_http_requests_total{path!~"/health|/ready|/metrics"}[30d])) * 0
            ||| % cfg,
          },
          // Error budget remaining = 1 - error_ratio / (1 - objective): 1 with no errors (and with no
          // traffic, since the ratio is then 0), 0 when the budget is spent, negative when overspent.
          {
            record: 'job:freightliner_replication_availability:error_budget_remaining',
            expr: '1 - job:freightliner_replication_error_ratio:rate30d / (1 - %(replicationAvailability)s)' % cfg,
          },
          {
            record: 'job:freightliner_replication_latency:error_budget_remaining',
            expr: '1 - job:freightliner_replication_slow_ratio:rate7d / (1 - %(replicationLatency)s)' % cfg,
          },
          {
            record: 'job:freightliner_http_availability:error_budget_remaining',
            expr: '1 - job:freightliner_http_error_ratio:rate30d / (1 - %(httpAvailability)s)' % cfg,
          },
        ],
      },
    ],
  },
}
