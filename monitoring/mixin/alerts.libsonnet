// Alert rules for Freightliner.
//
// Every alert carries:
//   labels       severity   critical (pages: PagerDuty + Slack), warning (Slack), none (Watchdog only)
//                component  which part of the service: replication, worker, scheduler, api, auth,
//                           runtime, service, alerting; Alertmanager routes it to that team's channel
//   annotations  summary, description, impact (business impact), action (what to do first),
//                runbook_url (its section of monitoring/docs/SLO_RUNBOOKS.md)
//
// Runbook links: every runbook_url is _config.runbookURLPattern with %s the alert name in lower case
// (by default an anchor of monitoring/docs/SLO_RUNBOOKS.md under _config.runbookBaseURL).
// tests/monitoring/rules_lint.sh checks that each anchor is a heading of SLO_RUNBOOKS.md.
//
// No group-level `labels:`: promtool 2.42 rejects it, so labels are set on each rule.

local promql = import 'promql.libsonnet';

{
  local cfg = $._config + promql.numbers($._config.thresholds + $._config.slo) + promql.texts($._config),

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'freightliner.alerts',
        rules: [
          // --- Critical -------------------------------------------------------------------------------
          {
            alert: 'HighReplicationFailureRate',
            expr: |||
              job_source_registry_dest_registry:freightliner_replication_failure_ratio:rate5m > %(replicationFailureRatio)s
              and on (%(clusterLabel)s, job, source_registry, dest_registry)
              job_source_registry_dest_registry:freightliner_replications:increase5m >= %(minRatioEvents)s
            ||| % cfg,
            'for': '5m',
            labels: {
              severity: 'critical',
              component: 'replication',
              slo: 'replication-availability',
            },
            annotations: {
              summary: 'More than %(replicationFailurePercent)s%% of replications {{ $labels.source_registry }} -> {{ $labels.dest_registry }} are failing' % cfg,
              description: '{{ $value | humanizePercentage }} of replications (real copies) from {{ $labels.source_registry }} to {{ $labels.dest_registry }} failed over the last 5 minutes (threshold %(replicationFailurePercent)s%% of at least %(minRatioEvents)s copies, for 5m).' % cfg,
              impact: 'Images are not reaching {{ $labels.dest_registry }}: deployments that pull from it get stale or missing tags.',
              action: 'Look at freightliner_replication_errors_total by error_type for this pair; fix credentials (auth), quota or outage (server_error, rate_limited) or network, then re-run the failed jobs.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HighReplicationFailureRate'),
            },
          },
          // Work is pending (a job active or work queued) and nothing moves: no tag finished, whatever
          // its outcome (success, failed, up_to_date), and not one byte transferred. One long copy keeps
          // freightliner_replication_bytes_total growing while its blobs transfer, so it does not fire;
          // neither does an idle service (no active job, empty queue). `unless ... > 0` rather than
          // `and ... == 0` so that it also fires when no replication series exists yet for the instance
          // (stuck before the first copy). The 5-minute increase window tolerates a registry that
          // stalls a few minutes between chunks; `for: 10m` then requires 10 minutes of that, so the
          // alert fires about 15 minutes after the last movement.
          {
            alert: 'ReplicationStopped',
            expr: |||
              (
                max by (%(clusterLabel)s, job, instance) (freightliner_jobs_active) > 0
                or
                max by (%(clusterLabel)s, job, instance) (freightliner_worker_pool_queued) > 0
              )
              unless on (%(clusterLabel)s, job, instance)
              (sum by (%(clusterLabel)s, job, instance) (increase(freightliner_replications_total[5m])) > 0)
              unless on (%(clusterLabel)s, job, instance)
              (sum by (%(clusterLabel)s, job, instance) (increase(freightliner_replication_bytes_total[5m])) > 0)
            ||| % cfg,
            'for': '10m',
            labels: {
              severity: 'critical',
              component: 'replication',
            },
            annotations: {
              summary: 'Replication on {{ $labels.instance }} has stopped while work is pending',
              description: '{{ $labels.instance }} has active jobs or queued work but has neither finished a tag nor transferred a byte for 10 minutes.',
              impact: 'Scheduled syncs and submitted jobs are not progressing: destination registries fall further behind every minute.',
              action: 'Check the jobs API and the worker pool (active vs size), look for a hung registry connection in the logs; cancel the stuck job or restart the pod (jobs resume from checkpoints).',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationStopped'),
            },
          },
          // The service is down: no replica of a cluster is up (with one replica, that one is down),
          // or no target exists at all (deployment deleted, scaled to zero, discovery or relabeling
          // broken): absent() covers what `== 0` cannot. Summed by cluster (an external label in one
          // Prometheus: absent from the series, so there the sum covers them all), one alert per
          // cluster, whatever the replicas: a replica down while others run is
          // FreightlinerReplicaDown, a warning.
          {
            alert: 'FreightlinerDown',
            expr: |||
              sum by (%(clusterLabel)s, job) (up{%(freightlinerSelector)s}) == 0
              or
              absent(up{%(freightlinerSelector)s})
            ||| % cfg,
            'for': '1m',
            labels: {
              severity: 'critical',
              component: 'service',
            },
            annotations: {
              summary: 'Freightliner {{ with $labels.cluster }}in {{ . }} {{ end }}is down: no replica is up',
              description: 'No Freightliner target{{ with $labels.cluster }} of cluster {{ . }}{{ end }} is up (every one is down, or Prometheus has none at all) for more than 1 minute.',
              impact: 'No replications, no API and no metrics: scheduled syncs and push events stop, and every other Freightliner alert is blind.',
              action: 'kubectl -n freightliner get pods; describe the pods (CrashLoopBackOff, OOMKilled, Pending) and read their logs; in cluster mode check the job store (PostgreSQL) they all need; if no pod exists check the Deployment and the scrape discovery.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('FreightlinerDown'),
            },
          },
          {
            alert: 'HighHTTP5xxRate',
            expr: 'job:freightliner_http_requests_5xx:rate5m > %(http5xxPerSecond)s' % cfg,
            'for': '5m',
            labels: {
              severity: 'critical',
              component: 'api',
              slo: 'http-availability',
            },
            annotations: {
              summary: 'Freightliner API is answering more than %(http5xxPerSecond)s error (5xx) per second' % cfg,
              description: 'The API of {{ $labels.job }} returns {{ $value | humanize }} 5xx responses per second (threshold %(http5xxPerSecond)s/s, for 5m).' % cfg,
              impact: 'Clients and CI pipelines cannot submit or follow replication jobs.',
              action: 'Find the failing routes with the runbook query, read the server logs around them; roll back a bad release or fix the state store (disk full, locked database).',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HighHTTP5xxRate'),
            },
          },
          // 4 GiB, well below the container's 6 GiB memory limit (deploy/base/deployment.yaml): the alert has
          // time to fire before the kernel OOM-kills the pod.
          {
            alert: 'HighMemoryUsage',
            expr: 'freightliner_memory_usage_bytes > %(memoryGiB)s * 1024 * 1024 * 1024' % cfg,
            'for': '5m',
            labels: {
              severity: 'critical',
              component: 'runtime',
            },
            annotations: {
              summary: 'Freightliner {{ $labels.instance }} uses more than %(memoryGiB)s GiB of memory' % cfg,
              description: 'Resident memory of {{ $labels.instance }} is {{ $value | humanize1024 }}B (threshold %(memoryGiB)s GiB for 5m; the container limit is 6 GiB).' % cfg,
              impact: 'The pod is heading for an OOM kill, which interrupts every running replication on it.',
              action: 'Check concurrency (worker pool size, per-registry limits) and the number of running jobs; lower them or raise the limit; capture the memory profile before restarting.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HighMemoryUsage'),
            },
          },
          // The first panic fires: the exporter creates every panics_total{component} child at 0, so
          // 0 -> 1 is an increase. (A counter that appeared lazily at 1 would be invisible to increase();
          // that is why the contract pre-creates them, and the live test checks it does.)
          {
            alert: 'ApplicationPanics',
            expr: 'max by (%(clusterLabel)s, job, instance, component) (increase(freightliner_panics_total[5m]) > 0)' % cfg,
            labels: {
              severity: 'critical',
              component: '{{ $labels.component }}',
            },
            annotations: {
              summary: 'Freightliner {{ $labels.instance }} caught a panic in {{ $labels.component }}',
              description: '{{ $value | humanize }} exception(s) or crash(es) were caught at the {{ $labels.component }} boundary of {{ $labels.instance }} in the last 5 minutes; the process survived.',
              impact: 'The operation that hit it failed (a job, a request or a schedule run); repeated panics mean a bug that loses work.',
              action: 'Read the logs of {{ $labels.instance }} around the alert time for the stack trace or exception message; file a bug with it; check whether the affected job must be re-run.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ApplicationPanics'),
            },
          },
          // A scheduled sync that has not succeeded for more than 3 of its intervals: the scheduler
          // stopped (silently), or every run fails. freightliner_sync_interval_seconds exists only for
          // scheduled syncs, so on-demand syncs never match. Across replicas the freshest success
          // counts (max), since any replica's success keeps the destination current. At start the
          // service reports the last success from its state store (else the process start), so a
          // restart neither hides nor invents staleness.
          {
            alert: 'FreightlinerSyncStale',
            expr: |||
              time() - max by (%(clusterLabel)s, job, sync) (freightliner_sync_last_success_timestamp_seconds)
              > on (%(clusterLabel)s, job, sync)
              3 * max by (%(clusterLabel)s, job, sync) (freightliner_sync_interval_seconds)
            ||| % cfg,
            'for': '10m',
            labels: {
              severity: 'critical',
              component: 'scheduler',
            },
            annotations: {
              summary: 'Scheduled sync {{ $labels.sync }} has not succeeded for more than 3 intervals',
              description: 'Sync {{ $labels.sync }} last succeeded {{ $value | humanizeDuration }} ago, more than 3 times its schedule interval (for 10m).',
              impact: 'The destination registries of this sync are no longer kept current: new and moved tags are missing there, and nothing else reports it.',
              action: "Compare freightliner_sync_last_start_timestamp_seconds with the last success: no recent start means the scheduler stopped (check logs, restart the pod); recent starts mean every run fails (read the run's errors in the jobs API).",
              runbook_url: $._config.runbookURLPattern % std.asciiLower('FreightlinerSyncStale'),
            },
          },
          // Restarts of the same pod (same instance): a crash loop, an OOM kill loop, a liveness probe
          // killing a hung process. A rollout replaces pods (new instances), so it does not count.
          // Between restarts the pod may be up long enough that FreightlinerReplicaDown (FreightlinerDown
          // for a single replica) never fires.
          {
            alert: 'FreightlinerCrashLooping',
            expr: 'changes(process_start_time_seconds{%(freightlinerSelector)s}[30m]) >= 3' % cfg,
            labels: {
              severity: 'critical',
              component: 'service',
            },
            annotations: {
              summary: 'Freightliner {{ $labels.instance }} restarted {{ $value }} times in 30 minutes',
              description: 'The process of {{ $labels.instance }} (pod {{ $labels.pod }}) started {{ $value }} times in the last 30 minutes (threshold 3).',
              impact: 'Every restart interrupts the replications running on this pod; syncs restart from checkpoints and fall behind, and the API drops requests.',
              action: 'kubectl -n freightliner describe pod (Last State: OOMKilled, Error, liveness probe failures) and kubectl logs --previous; raise the memory limit or lower concurrency for OOM kills, roll back a bad release otherwise.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('FreightlinerCrashLooping'),
            },
          },
          // --- Warning --------------------------------------------------------------------------------
          // One replica (instance) down while others of its cluster are up: the service goes on, the
          // others take its jobs over once their leases expire, so a warning, after 5 minutes (a
          // rollout's pod restarts do not reach it). When none is up, FreightlinerDown fires instead
          // and this one does not (`unless`); Alertmanager also lets FreightlinerDown silence it.
          {
            alert: 'FreightlinerReplicaDown',
            expr: |||
              up{%(freightlinerSelector)s} == 0
              unless on (%(clusterLabel)s, job)
              (sum by (%(clusterLabel)s, job) (up{%(freightlinerSelector)s}) == 0)
            ||| % cfg,
            'for': '5m',
            labels: {
              severity: 'warning',
              component: 'service',
            },
            annotations: {
              summary: 'Freightliner replica {{ $labels.instance }} is down; other replicas run',
              description: 'Prometheus cannot scrape {{ $labels.instance }}{{ with $labels.pod }} (pod {{ . }}){{ end }} for more than 5 minutes, while other replicas of its cluster are up.',
              impact: 'The service goes on with fewer runners: the other replicas take over its jobs once their leases expire, and there is less headroom for the next failure.',
              action: 'kubectl -n freightliner get pods; describe the down pod (CrashLoopBackOff, OOMKilled, Pending) and read its logs; check that the other replicas keep up (JobQueueStalled, freightliner_jobs_active).',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('FreightlinerReplicaDown'),
            },
          },
          // Replication on push: 95% of tags pushed at a source reach their destinations within
          // the objective (the lag histogram starts at the event's timestamp). Quiet without
          // enough pushes, where one slow copy would be the whole P95.
          {
            alert: 'PushReplicationLagHigh',
            expr: |||
              histogram_quantile(0.95, sum by (%(clusterLabel)s, le) (rate(freightliner_event_replication_lag_seconds_bucket{%(freightlinerSelector)s}[30m]))) > %(pushLagP95Seconds)s
              and on (%(clusterLabel)s)
              sum by (%(clusterLabel)s) (increase(freightliner_event_replication_lag_seconds_count{%(freightlinerSelector)s}[30m])) >= %(minPushEvents)s
            ||| % cfg,
            'for': '15m',
            labels: {
              severity: 'warning',
              component: 'replication',
            },
            annotations: {
              summary: 'Pushed tags take {{ $value | humanizeDuration }} (P95) to reach their mirrors',
              description: '95%% of the tags pushed to a source registry in the last 30 minutes reached their destinations within {{ $value | humanizeDuration }} of the push event (objective %(pushLagP95Seconds)s s, for 15m).' % cfg,
              impact: 'Mirrors lag their sources: deployments that pull a just-pushed tag from the mirror fail or get the previous image until the copy lands.',
              action: 'Check the event jobs (GET /api/v1/jobs?type=sync, trigger event): queued behind long syncs (raise max_concurrent_jobs), slow destination (HighReplicationDuration), or retries (freightliner_registry_retries_total).',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('PushReplicationLagHigh'),
            },
          },
          // Jobs wait and nothing takes them: every replica down or stuck, or more work than the
          // runners take. The age comes from the job store, alike on every replica of a
          // cluster: max, never sum; one replica down while others run does not fire it.
          {
            alert: 'JobQueueStalled',
            expr: 'max by (%(clusterLabel)s) (freightliner_oldest_queued_job_age_seconds{%(freightlinerSelector)s}) > %(queuedJobMaxAgeSeconds)s' % cfg,
            'for': '10m',
            labels: {
              severity: 'warning',
              component: 'scheduler',
            },
            annotations: {
              summary: 'The oldest queued job has waited {{ $value | humanizeDuration }}',
              description: 'A job has been queued for {{ $value | humanizeDuration }} without a runner taking it (threshold %(queuedJobMaxAgeSeconds)s s, for 10m).' % cfg,
              impact: 'Submitted replications, scheduled syncs and push events wait: mirrors fall behind their sources.',
              action: 'Check that replicas run (FreightlinerDown, FreightlinerReplicaDown), that they reach the job store (freightliner_store_errors_total{operation="claim"}), and whether long jobs hold every runner (freightliner_jobs_active against max_concurrent_jobs).',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('JobQueueStalled'),
            },
          },
          {
            alert: 'HighReplicationDuration',
            expr: 'job_source_registry_dest_registry:freightliner_replication_duration_seconds:p95_rate5m > %(replicationDurationP95Seconds)s' % cfg,
            'for': '10m',
            labels: {
              severity: 'warning',
              component: 'replication',
              slo: 'replication-latency',
            },
            annotations: {
              summary: 'P95 replication time {{ $labels.source_registry }} -> {{ $labels.dest_registry }} is above 5 minutes',
              description: '95%% of replications from {{ $labels.source_registry }} to {{ $labels.dest_registry }} take up to {{ $value | humanizeDuration }} (threshold %(replicationDurationText)s, for 10m).' % cfg,
              impact: 'Images reach the destination late; the latency SLO (%(replicationLatencyShortPercent)s%% under 60 s) is being consumed.' % cfg,
              action: 'Check registry latency and throttling (rate_limited errors), worker saturation and layer sizes for this pair; raise per-registry concurrency if the registries allow it.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HighReplicationDuration'),
            },
          },
          {
            alert: 'WorkerPoolSaturated',
            expr: 'instance:freightliner_worker_pool_utilization:ratio > %(workerPoolSaturation)s' % cfg,
            'for': '5m',
            labels: {
              severity: 'warning',
              component: 'worker',
            },
            annotations: {
              summary: 'Worker pool of {{ $labels.instance }} is more than %(workerPoolSaturationPercent)s%% busy' % cfg,
              description: '{{ $value | humanizePercentage }} of the workers of {{ $labels.instance }} have been busy for 5 minutes.',
              impact: 'New replications queue up behind running ones: syncs finish later and latency grows.',
              action: 'Look at freightliner_worker_pool_queued: if the queue grows, raise the worker count (if registries and memory allow) or add replicas; if a few transfers hold all workers, look for a slow registry.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('WorkerPoolSaturated'),
            },
          },
          {
            alert: 'HighHTTPLatency',
            expr: 'job:freightliner_http_request_duration_seconds:p95_rate5m > %(httpLatencyP95Seconds)s' % cfg,
            'for': '10m',
            labels: {
              severity: 'warning',
              component: 'api',
            },
            annotations: {
              summary: 'P95 latency of the Freightliner API is above 5 s',
              description: '95%% of API requests of {{ $labels.job }} take up to {{ $value | humanizeDuration }} (threshold %(httpLatencyText)s, for 10m).' % cfg,
              impact: 'API clients and CI pipelines slow down or time out when submitting and polling jobs.',
              action: 'Find the slow routes (runbook query); check state-store contention (SQLite), CPU throttling and in-flight requests; scale out or fix the slow handler.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HighHTTPLatency'),
            },
          },
          {
            alert: 'HighAuthFailureRate',
            expr: 'job:freightliner_auth_failures:rate5m > %(authFailuresPerSecond)s' % cfg,
            'for': '5m',
            labels: {
              severity: 'warning',
              component: 'auth',
            },
            annotations: {
              summary: 'More than 5 authentication failures per second',
              description: '{{ $labels.job }} sees {{ $value | humanize }} authentication failures per second (API keys and registry credentials, threshold %(authFailuresPerSecond)s/s for 5m).' % cfg,
              impact: 'Either clients use a revoked API key (their jobs are refused) or registry credentials expired (replications fail with auth errors); it can also be a brute-force attempt.',
              action: 'Split by type (runbook query): api_key -> find the client and rotate or restore its key; registry -> renew the registry credentials Secret.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HighAuthFailureRate'),
            },
          },
          // --- Meta -----------------------------------------------------------------------------------
          // The alerting path itself. Prometheus scrapes itself (job prometheus) and Alertmanager (job
          // alertmanager), see prometheus.yml. These alerts reach a human only while some path still
          // works (another integration, another Alertmanager replica); when none does, the Watchdog
          // stops arriving and the dead-man's switch pages.
          // A notification Alertmanager gave up on after its retries: a page or message was lost.
          {
            alert: 'AlertmanagerNotificationsFailing',
            expr: 'sum by (%(clusterLabel)s, job, instance, integration) (increase(alertmanager_notifications_failed_total[15m])) > 0' % cfg,
            labels: {
              severity: 'critical',
              component: 'alerting',
            },
            annotations: {
              summary: 'Alertmanager {{ $labels.instance }} fails to deliver {{ $labels.integration }} notifications',
              description: '{{ $value | humanize }} {{ $labels.integration }} notification(s) from {{ $labels.instance }} failed after all retries in the last 15 minutes.',
              impact: 'Alerts routed to {{ $labels.integration }} are not reaching anyone: a page may have been lost.',
              action: "Read the Alertmanager log for the receiver and the HTTP status; check the secret (Slack webhook, PagerDuty key, dead-man's-switch key) and egress to the service; look at the lost alerts in the Alertmanager UI.",
              runbook_url: $._config.runbookURLPattern % std.asciiLower('AlertmanagerNotificationsFailing'),
            },
          },
          {
            alert: 'PrometheusRuleEvaluationFailures',
            expr: 'sum by (%(clusterLabel)s, job, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total[5m])) > 0' % cfg,
            'for': '5m',
            labels: {
              severity: 'critical',
              component: 'alerting',
            },
            annotations: {
              summary: 'Prometheus {{ $labels.instance }} fails to evaluate rules of {{ $labels.rule_group }}',
              description: '{{ $value | humanize }} evaluation(s) of rule group {{ $labels.rule_group }} failed on {{ $labels.instance }} in the last 5 minutes.',
              impact: 'The alerts (or recording rules feeding alerts and SLOs) of this group are blind: they cannot fire.',
              action: 'Prometheus UI > Status > Rules shows the error of each failing rule (many-to-many match, query timeout, out of memory); fix the rule or the series that broke it.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('PrometheusRuleEvaluationFailures'),
            },
          },
          {
            alert: 'PrometheusNotConnectedToAlertmanager',
            expr: 'max by (%(clusterLabel)s, job, instance) (prometheus_notifications_alertmanagers_discovered) < 1' % cfg,
            'for': '10m',
            labels: {
              severity: 'critical',
              component: 'alerting',
            },
            annotations: {
              summary: 'Prometheus {{ $labels.instance }} has no Alertmanager to send alerts to',
              description: '{{ $labels.instance }} has discovered no Alertmanager for 10 minutes.',
              impact: "No alert of this Prometheus reaches anyone (this one included, unless another Prometheus sees it); only the dead-man's switch notices.",
              action: 'Check the alerting section of prometheus.yml and the discovery it uses (DNS of the alertmanager Service, its pods Ready), and Prometheus UI > Status > Runtime.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('PrometheusNotConnectedToAlertmanager'),
            },
          },
          // Dropped: no Alertmanager accepted them (or the queue overflowed). A few at start-up, before
          // Alertmanager is discovered, are normal; for: 10m keeps those quiet.
          {
            alert: 'PrometheusNotificationsDropped',
            expr: 'sum by (%(clusterLabel)s, job, instance) (rate(prometheus_notifications_dropped_total[5m])) > 0' % cfg,
            'for': '10m',
            labels: {
              severity: 'critical',
              component: 'alerting',
            },
            annotations: {
              summary: 'Prometheus {{ $labels.instance }} drops alerts instead of delivering them',
              description: '{{ $labels.instance }} has been dropping alert notifications for 10 minutes ({{ printf "%.2f" $value }} a second).',
              impact: 'Alerts from this Prometheus are lost before they reach Alertmanager.',
              action: 'Look at prometheus_notifications_errors_total and the Prometheus log (Alertmanager unreachable, rejected, timeouts); check that the Alertmanager pods are up and reachable from Prometheus.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('PrometheusNotificationsDropped'),
            },
          },
          // Always firing. Alertmanager sends it to a dead-man's-switch service, which pages when the
          // heartbeat stops: that catches a dead Prometheus, a dead Alertmanager or a broken path
          // between them, which no other alert can report.
          {
            alert: 'Watchdog',
            expr: 'vector(1)',
            labels: {
              severity: 'none',
              component: 'alerting',
            },
            annotations: {
              summary: 'Alerting pipeline heartbeat (always firing)',
              description: "This alert fires all the time so that an external dead-man's switch can tell that Prometheus evaluates rules and Alertmanager delivers them.",
              impact: "None while it fires. If the dead-man's switch stops receiving it, alerting is broken and no other alert will reach anyone.",
              action: "Nothing while it fires. If the dead-man's switch pages, check that Prometheus and Alertmanager are up and that Prometheus lists Alertmanager under Status > Runtime.",
              runbook_url: $._config.runbookURLPattern % std.asciiLower('Watchdog'),
            },
          },
        ],
      },
      // Multiwindow, multi-burn-rate alerts (Google SRE Workbook, "Alerting on SLOs"). An alert needs
      // both windows over threshold: the long one proves the burn is significant, the short one that it
      // is still happening (so it resolves quickly after a fix). Thresholds are burn x (1 - objective):
      //   page    14.4x over 1h and 5m   (2% of a 30-day budget in 1 hour)
      //   page     6x   over 6h and 30m  (5% in 6 hours)
      //   ticket   3x   over 1d and 2h   (10% in 1 day)
      //   ticket   1x   over 3d and 6h   (10% in 3 days)
      // The latency SLO has a 7-day window, so its windows are these times 7/30 (same share of budget).
      // A critical alert inhibits the warning of the same alertname, and a critical burn-rate alert the
      // threshold alert of the same SLO (label `slo`), so that one incident pages once (alertmanager.yml).
      //
      // Low traffic: a ratio over a handful of events is noise. Every burn-rate alert (and
      // HighReplicationFailureRate) also needs, in its long window, at least 20 events
      // (job:*:increase<window> >= 20) and at least 2 bad ones (ratio x events >= 1.5, which absorbs
      // rate extrapolation): one failure in 20 replications is neither a page nor a ticket, however
      // large its ratio. A real outage has far more events than that within minutes.
      {
        name: 'freightliner.slo.alerts',
        rules: [
          {
            alert: 'ReplicationAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_replication_error_ratio:rate1h > (14.4 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate5m > (14.4 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replications:increase1h >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate1h * job:freightliner_replications:increase1h >= 1.5
            ||| % cfg,
            'for': '2m',
            labels: {
              severity: 'critical',
              component: 'replication',
              slo: 'replication-availability',
              burn_rate: '14.4',
              long_window: '1h',
              short_window: '5m',
            },
            annotations: {
              summary: 'replication-availability SLO: error budget burning at 14.4x (1h and 5m windows)',
              description: '{{ $value | humanizePercentage }} of failed replications over the last 1h (job {{ $labels.job }}); at 14.4x the 30d budget of the %(replicationAvailabilityPercent)s%% objective is gone in 2.1 days.' % cfg,
              impact: 'Replications are failing fast enough to exhaust the 30-day error budget of the %(replicationAvailabilityPercent)s%% availability SLO; images that teams expect in the destination registries are missing or stale.' % cfg,
              action: 'Find the failing registry pairs and error types (runbook query), fix the cause (credentials, destination quota, network), then re-run the failed jobs.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_replication_error_ratio:rate6h > (6 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate30m > (6 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replications:increase6h >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate6h * job:freightliner_replications:increase6h >= 1.5
            ||| % cfg,
            'for': '15m',
            labels: {
              severity: 'critical',
              component: 'replication',
              slo: 'replication-availability',
              burn_rate: '6',
              long_window: '6h',
              short_window: '30m',
            },
            annotations: {
              summary: 'replication-availability SLO: error budget burning at 6x (6h and 30m windows)',
              description: '{{ $value | humanizePercentage }} of failed replications over the last 6h (job {{ $labels.job }}); at 6x the 30d budget of the %(replicationAvailabilityPercent)s%% objective is gone in 5 days.' % cfg,
              impact: 'Replications are failing fast enough to exhaust the 30-day error budget of the %(replicationAvailabilityPercent)s%% availability SLO; images that teams expect in the destination registries are missing or stale.' % cfg,
              action: 'Find the failing registry pairs and error types (runbook query), fix the cause (credentials, destination quota, network), then re-run the failed jobs.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_replication_error_ratio:rate1d > (3 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate2h > (3 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replications:increase1d >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate1d * job:freightliner_replications:increase1d >= 1.5
            ||| % cfg,
            'for': '1h',
            labels: {
              severity: 'warning',
              component: 'replication',
              slo: 'replication-availability',
              burn_rate: '3',
              long_window: '1d',
              short_window: '2h',
            },
            annotations: {
              summary: 'replication-availability SLO: error budget burning at 3x (1d and 2h windows)',
              description: '{{ $value | humanizePercentage }} of failed replications over the last 1d (job {{ $labels.job }}); at 3x the 30d budget of the %(replicationAvailabilityPercent)s%% objective is gone in 10 days.' % cfg,
              impact: 'Replications are failing fast enough to exhaust the 30-day error budget of the %(replicationAvailabilityPercent)s%% availability SLO; images that teams expect in the destination registries are missing or stale.' % cfg,
              action: 'Find the failing registry pairs and error types (runbook query), fix the cause (credentials, destination quota, network), then re-run the failed jobs.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_replication_error_ratio:rate3d > (1 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate6h > (1 * (1 - %(replicationAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replications:increase3d >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_error_ratio:rate3d * job:freightliner_replications:increase3d >= 1.5
            ||| % cfg,
            'for': '3h',
            labels: {
              severity: 'warning',
              component: 'replication',
              slo: 'replication-availability',
              burn_rate: '1',
              long_window: '3d',
              short_window: '6h',
            },
            annotations: {
              summary: 'replication-availability SLO: error budget burning at 1x (3d and 6h windows)',
              description: '{{ $value | humanizePercentage }} of failed replications over the last 3d (job {{ $labels.job }}); at 1x the 30d budget of the %(replicationAvailabilityPercent)s%% objective is gone in 30 days.' % cfg,
              impact: 'Replications are failing fast enough to exhaust the 30-day error budget of the %(replicationAvailabilityPercent)s%% availability SLO; images that teams expect in the destination registries are missing or stale.' % cfg,
              action: 'Find the failing registry pairs and error types (runbook query), fix the cause (credentials, destination quota, network), then re-run the failed jobs.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationLatencyBudgetBurn',
            expr: |||
              job:freightliner_replication_slow_ratio:rate14m > (14.4 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate1m10s > (14.4 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_duration_seconds_count:increase14m >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate14m * job:freightliner_replication_duration_seconds_count:increase14m >= 1.5
            ||| % cfg,
            'for': '1m',
            labels: {
              severity: 'critical',
              component: 'replication',
              slo: 'replication-latency',
              burn_rate: '14.4',
              long_window: '14m',
              short_window: '1m10s',
            },
            annotations: {
              summary: 'replication-latency SLO: error budget burning at 14.4x (14m and 1m10s windows)',
              description: '{{ $value | humanizePercentage }} of replications slower than 60s over the last 14m (job {{ $labels.job }}); at 14.4x the 7d budget of the %(replicationLatencyPercent)s%% objective is gone in 11.7 hours.' % cfg,
              impact: 'Too many replications take longer than 60 s: images reach the destination late and the 7-day latency budget (%(replicationLatencyShortPercent)s%% under 60 s) is being consumed.' % cfg,
              action: 'Check which pairs are slow (runbook query): throttled or overloaded registries, saturated workers, large layers; raise concurrency or the registry limits, or spread schedules.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationLatencyBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationLatencyBudgetBurn',
            expr: |||
              job:freightliner_replication_slow_ratio:rate1h24m > (6 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate7m > (6 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_duration_seconds_count:increase1h24m >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate1h24m * job:freightliner_replication_duration_seconds_count:increase1h24m >= 1.5
            ||| % cfg,
            'for': '4m',
            labels: {
              severity: 'critical',
              component: 'replication',
              slo: 'replication-latency',
              burn_rate: '6',
              long_window: '1h24m',
              short_window: '7m',
            },
            annotations: {
              summary: 'replication-latency SLO: error budget burning at 6x (1h24m and 7m windows)',
              description: '{{ $value | humanizePercentage }} of replications slower than 60s over the last 1h24m (job {{ $labels.job }}); at 6x the 7d budget of the %(replicationLatencyPercent)s%% objective is gone in 1.2 days.' % cfg,
              impact: 'Too many replications take longer than 60 s: images reach the destination late and the 7-day latency budget (%(replicationLatencyShortPercent)s%% under 60 s) is being consumed.' % cfg,
              action: 'Check which pairs are slow (runbook query): throttled or overloaded registries, saturated workers, large layers; raise concurrency or the registry limits, or spread schedules.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationLatencyBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationLatencyBudgetBurn',
            expr: |||
              job:freightliner_replication_slow_ratio:rate5h36m > (3 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate28m > (3 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_duration_seconds_count:increase5h36m >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate5h36m * job:freightliner_replication_duration_seconds_count:increase5h36m >= 1.5
            ||| % cfg,
            'for': '15m',
            labels: {
              severity: 'warning',
              component: 'replication',
              slo: 'replication-latency',
              burn_rate: '3',
              long_window: '5h36m',
              short_window: '28m',
            },
            annotations: {
              summary: 'replication-latency SLO: error budget burning at 3x (5h36m and 28m windows)',
              description: '{{ $value | humanizePercentage }} of replications slower than 60s over the last 5h36m (job {{ $labels.job }}); at 3x the 7d budget of the %(replicationLatencyPercent)s%% objective is gone in 2.3 days.' % cfg,
              impact: 'Too many replications take longer than 60 s: images reach the destination late and the 7-day latency budget (%(replicationLatencyShortPercent)s%% under 60 s) is being consumed.' % cfg,
              action: 'Check which pairs are slow (runbook query): throttled or overloaded registries, saturated workers, large layers; raise concurrency or the registry limits, or spread schedules.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationLatencyBudgetBurn'),
            },
          },
          {
            alert: 'ReplicationLatencyBudgetBurn',
            expr: |||
              job:freightliner_replication_slow_ratio:rate16h48m > (1 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate1h24m > (1 * (1 - %(replicationLatency)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_duration_seconds_count:increase16h48m >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_replication_slow_ratio:rate16h48m * job:freightliner_replication_duration_seconds_count:increase16h48m >= 1.5
            ||| % cfg,
            'for': '45m',
            labels: {
              severity: 'warning',
              component: 'replication',
              slo: 'replication-latency',
              burn_rate: '1',
              long_window: '16h48m',
              short_window: '1h24m',
            },
            annotations: {
              summary: 'replication-latency SLO: error budget burning at 1x (16h48m and 1h24m windows)',
              description: '{{ $value | humanizePercentage }} of replications slower than 60s over the last 16h48m (job {{ $labels.job }}); at 1x the 7d budget of the %(replicationLatencyPercent)s%% objective is gone in 7 days.' % cfg,
              impact: 'Too many replications take longer than 60 s: images reach the destination late and the 7-day latency budget (%(replicationLatencyShortPercent)s%% under 60 s) is being consumed.' % cfg,
              action: 'Check which pairs are slow (runbook query): throttled or overloaded registries, saturated workers, large layers; raise concurrency or the registry limits, or spread schedules.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('ReplicationLatencyBudgetBurn'),
            },
          },
          {
            alert: 'HTTPAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_http_error_ratio:rate1h > (14.4 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate5m > (14.4 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_requests:increase1h >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate1h * job:freightliner_http_requests:increase1h >= 1.5
            ||| % cfg,
            'for': '2m',
            labels: {
              severity: 'critical',
              component: 'api',
              slo: 'http-availability',
              burn_rate: '14.4',
              long_window: '1h',
              short_window: '5m',
            },
            annotations: {
              summary: 'http-availability SLO: error budget burning at 14.4x (1h and 5m windows)',
              description: '{{ $value | humanizePercentage }} of API requests answered with 5xx over the last 1h (job {{ $labels.job }}); at 14.4x the 30d budget of the %(httpAvailabilityPercent)s%% objective is gone in 2.1 days.' % cfg,
              impact: 'The Freightliner API is failing requests (5xx) fast enough to exhaust the 30-day budget of the %(httpAvailabilityPercent)s%% API SLO; clients cannot submit or follow replication jobs.' % cfg,
              action: 'Find the failing routes (runbook query) and read the server logs for them; roll back a bad release, free the state store, or scale out.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HTTPAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'HTTPAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_http_error_ratio:rate6h > (6 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate30m > (6 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_requests:increase6h >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate6h * job:freightliner_http_requests:increase6h >= 1.5
            ||| % cfg,
            'for': '15m',
            labels: {
              severity: 'critical',
              component: 'api',
              slo: 'http-availability',
              burn_rate: '6',
              long_window: '6h',
              short_window: '30m',
            },
            annotations: {
              summary: 'http-availability SLO: error budget burning at 6x (6h and 30m windows)',
              description: '{{ $value | humanizePercentage }} of API requests answered with 5xx over the last 6h (job {{ $labels.job }}); at 6x the 30d budget of the %(httpAvailabilityPercent)s%% objective is gone in 5 days.' % cfg,
              impact: 'The Freightliner API is failing requests (5xx) fast enough to exhaust the 30-day budget of the %(httpAvailabilityPercent)s%% API SLO; clients cannot submit or follow replication jobs.' % cfg,
              action: 'Find the failing routes (runbook query) and read the server logs for them; roll back a bad release, free the state store, or scale out.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HTTPAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'HTTPAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_http_error_ratio:rate1d > (3 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate2h > (3 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_requests:increase1d >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate1d * job:freightliner_http_requests:increase1d >= 1.5
            ||| % cfg,
            'for': '1h',
            labels: {
              severity: 'warning',
              component: 'api',
              slo: 'http-availability',
              burn_rate: '3',
              long_window: '1d',
              short_window: '2h',
            },
            annotations: {
              summary: 'http-availability SLO: error budget burning at 3x (1d and 2h windows)',
              description: '{{ $value | humanizePercentage }} of API requests answered with 5xx over the last 1d (job {{ $labels.job }}); at 3x the 30d budget of the %(httpAvailabilityPercent)s%% objective is gone in 10 days.' % cfg,
              impact: 'The Freightliner API is failing requests (5xx) fast enough to exhaust the 30-day budget of the %(httpAvailabilityPercent)s%% API SLO; clients cannot submit or follow replication jobs.' % cfg,
              action: 'Find the failing routes (runbook query) and read the server logs for them; roll back a bad release, free the state store, or scale out.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HTTPAvailabilityBudgetBurn'),
            },
          },
          {
            alert: 'HTTPAvailabilityBudgetBurn',
            expr: |||
              job:freightliner_http_error_ratio:rate3d > (1 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate6h > (1 * (1 - %(httpAvailability)s))
              and on (%(clusterLabel)s, job)
              job:freightliner_http_requests:increase3d >= %(minRatioEvents)s
              and on (%(clusterLabel)s, job)
              job:freightliner_http_error_ratio:rate3d * job:freightliner_http_requests:increase3d >= 1.5
            ||| % cfg,
            'for': '3h',
            labels: {
              severity: 'warning',
              component: 'api',
              slo: 'http-availability',
              burn_rate: '1',
              long_window: '3d',
              short_window: '6h',
            },
            annotations: {
              summary: 'http-availability SLO: error budget burning at 1x (3d and 6h windows)',
              description: '{{ $value | humanizePercentage }} of API requests answered with 5xx over the last 3d (job {{ $labels.job }}); at 1x the 30d budget of the %(httpAvailabilityPercent)s%% objective is gone in 30 days.' % cfg,
              impact: 'The Freightliner API is failing requests (5xx) fast enough to exhaust the 30-day budget of the %(httpAvailabilityPercent)s%% API SLO; clients cannot submit or follow replication jobs.' % cfg,
              action: 'Find the failing routes (runbook query) and read the server logs for them; roll back a bad release, free the state store, or scale out.',
              runbook_url: $._config.runbookURLPattern % std.asciiLower('HTTPAvailabilityBudgetBurn'),
            },
          },
        ],
      },
    ],
  },
}
