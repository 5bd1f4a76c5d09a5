// Static checks of monitoring/prometheus/{alert,recording}-rules.yml that promtool does not make:
// the spec's alert table, labels and annotations on every alert, runbook links that resolve to a
// section of SLO_RUNBOOKS.md, templates that read only annotations every alert sets, windows that
// match rule names, histogram buckets matched in a way current Prometheus also accepts, and only
// metric names the binary exports.
import path from 'node:path';
import {
  Checker, MON, loadYaml, readText, alertRules, recordingRules, promqlNames, contractMetricNames,
  contractLabelNames, markdownAnchors,
} from './common.mjs';

const c = new Checker('rules_lint');
const RUNBOOK_BASE = 'https://github.com/freightliner/freightliner/blob/main/monitoring/docs/SLO_RUNBOOKS.md';

const alertDoc = loadYaml(path.join(MON, 'prometheus/alert-rules.yml'));
const recDoc = loadYaml(path.join(MON, 'prometheus/recording-rules.yml'));
for (const [file, doc] of [['alert-rules.yml', alertDoc], ['recording-rules.yml', recDoc]]) {
  for (const g of doc.groups) {
    c.ok(!('labels' in g), `${file}: group ${g.name} has group-level labels (promtool 2.42 rejects them)`);
  }
}

const alerts = alertRules();
const records = recordingRules();
const recordNames = new Set(records.map((r) => r.record));
c.eq(recordNames.size, records.length, 'recording rule names are unique');

// --- The spec's ten alerts: name, severity, `for` -------------------------------------------
const SPEC = {
  HighReplicationFailureRate: ['critical', '5m'],
  ReplicationStopped: ['critical', '10m'],
  FreightlinerDown: ['critical', '1m'],
  HighHTTP5xxRate: ['critical', '5m'],
  HighMemoryUsage: ['critical', '5m'],
  ApplicationPanics: ['critical', undefined],
  HighReplicationDuration: ['warning', '10m'],
  WorkerPoolSaturated: ['warning', '5m'],
  HighHTTPLatency: ['warning', '10m'],
  HighAuthFailureRate: ['warning', '5m'],
};
const SPEC_THRESHOLDS = {
  HighReplicationFailureRate: /> 0\.10?\b/,
  HighHTTP5xxRate: /> 1\b/,
  HighMemoryUsage: /> 4 \* 1024 \* 1024 \* 1024/,
  HighReplicationDuration: /> 300\b/,
  WorkerPoolSaturated: /> 0\.9\b/,
  HighHTTPLatency: /> 5\b/,
  HighAuthFailureRate: /> 5\b/,
};
const byName = new Map();
for (const a of alerts) {
  if (!byName.has(a.alert)) byName.set(a.alert, []);
  byName.get(a.alert).push(a);
}
for (const [name, [sev, forDur]] of Object.entries(SPEC)) {
  const rs = byName.get(name) || [];
  if (!c.eq(rs.length, 1, `spec alert ${name} is defined once`)) continue;
  const r = rs[0];
  c.eq(r.labels?.severity, sev, `${name} severity`);
  c.eq(r.for, forDur, `${name} for`);
  if (SPEC_THRESHOLDS[name]) c.ok(SPEC_THRESHOLDS[name].test(r.expr), `${name} threshold ${SPEC_THRESHOLDS[name]} in: ${r.expr}`);
}
c.ok(/absent\(up\{job="freightliner"\}\)/.test(byName.get('FreightlinerDown')?.[0]?.expr || ''),
  'FreightlinerDown also fires when no target exists (absent)');
// Cluster mode: a replica down is not the service down while others run.
c.ok(/sum by \(cluster, job\) \(up\{job="freightliner"\}\) == 0/.test(byName.get('FreightlinerDown')?.[0]?.expr || ''),
  'FreightlinerDown: no target of the cluster up (summed by cluster), not one target down');
const CLUSTER_MODE = { FreightlinerReplicaDown: ['warning', 'service', '5m'] };
for (const [name, [sev, comp, forDur]] of Object.entries(CLUSTER_MODE)) {
  const rs = byName.get(name) || [];
  if (!c.eq(rs.length, 1, `alert ${name} is defined once`)) continue;
  c.eq([rs[0].labels?.severity, rs[0].labels?.component, rs[0].for], [sev, comp, forDur], `${name} severity, component and for`);
}
c.ok(/up\{job="freightliner"\} == 0\s+unless on \(cluster, job\)\s+\(sum by \(cluster, job\) \(up\{job="freightliner"\}\) == 0\)/.test(byName.get('FreightlinerReplicaDown')?.[0]?.expr || ''),
  'FreightlinerReplicaDown: a target down unless its whole cluster is (then FreightlinerDown)');
c.ok(/freightliner_jobs_active/.test(byName.get('ReplicationStopped')?.[0]?.expr || '') &&
  /freightliner_worker_pool_queued/.test(byName.get('ReplicationStopped')?.[0]?.expr || ''),
  'ReplicationStopped depends on pending work (jobs_active, worker_pool_queued)');

// --- Burn-rate alerts -------------------------------------------------------------------------
const BURN = {
  ReplicationAvailabilityBudgetBurn: ['job:freightliner_replication_error_ratio', '0.999',
    [['1h', '5m', '14.4', 'critical'], ['6h', '30m', '6', 'critical'], ['1d', '2h', '3', 'warning'], ['3d', '6h', '1', 'warning']]],
  ReplicationLatencyBudgetBurn: ['job:freightliner_replication_slow_ratio', '0.99',
    [['14m', '1m10s', '14.4', 'critical'], ['1h24m', '7m', '6', 'critical'], ['5h36m', '28m', '3', 'warning'], ['16h48m', '1h24m', '1', 'warning']]],
  HTTPAvailabilityBudgetBurn: ['job:freightliner_http_error_ratio', '0.995',
    [['1h', '5m', '14.4', 'critical'], ['6h', '30m', '6', 'critical'], ['1d', '2h', '3', 'warning'], ['3d', '6h', '1', 'warning']]],
};
for (const [name, [sli, obj, table]] of Object.entries(BURN)) {
  const rs = byName.get(name) || [];
  c.eq(rs.length, 4, `${name} has four burn-rate rules`);
  for (const [lw, sw, burn, sev] of table) {
    const r = rs.find((x) => x.labels?.long_window === lw);
    if (!c.ok(r, `${name}: a rule for the ${lw} window`)) continue;
    c.eq([r.labels.short_window, r.labels.burn_rate, r.labels.severity], [sw, burn, sev], `${name} ${lw}`);
    const thr = `(${burn} * (1 - ${obj}))`;
    c.ok(r.expr.includes(`${sli}:rate${lw} > ${thr}`) && r.expr.includes(`${sli}:rate${sw} > ${thr}`),
      `${name} ${lw}: expr compares ${sli}:rate${lw} and :rate${sw} with ${thr}: ${r.expr}`);
    c.ok(recordNames.has(`${sli}:rate${lw}`) && recordNames.has(`${sli}:rate${sw}`),
      `${name} ${lw}: both windows are recorded`);
  }
}
c.ok((byName.get('Watchdog') || []).length === 1 && /^vector\(1\)\s*$/.test(byName.get('Watchdog')[0].expr),
  'Watchdog is vector(1), always firing');
// --- Issue 10: alerts an on-call engineer can trust ------------------------------------------
const ISSUE10 = {
  FreightlinerSyncStale: ['critical', 'scheduler'],
  FreightlinerCrashLooping: ['critical', 'service'],
  AlertmanagerNotificationsFailing: ['critical', 'alerting'],
  PrometheusRuleEvaluationFailures: ['critical', 'alerting'],
  PrometheusNotConnectedToAlertmanager: ['critical', 'alerting'],
  PrometheusNotificationsDropped: ['critical', 'alerting'],
};
for (const [name, [sev, comp]] of Object.entries(ISSUE10)) {
  const rs = byName.get(name) || [];
  if (!c.eq(rs.length, 1, `alert ${name} is defined once`)) continue;
  c.eq([rs[0].labels?.severity, rs[0].labels?.component], [sev, comp], `${name} severity and component`);
}
// Issue 12: replication on push.
const ISSUE12 = { PushReplicationLagHigh: ['warning', 'replication'], JobQueueStalled: ['warning', 'scheduler'] };
for (const [name, [sev, comp]] of Object.entries(ISSUE12)) {
  const rs = byName.get(name) || [];
  if (!c.eq(rs.length, 1, `alert ${name} is defined once`)) continue;
  c.eq([rs[0].labels?.severity, rs[0].labels?.component], [sev, comp], `${name} severity and component`);
}
const exprOf = (n) => (byName.get(n) || []).map((r) => r.expr).join('\n');
c.ok(/time\(\) - .*freightliner_sync_last_success_timestamp_seconds[\s\S]*> on \(cluster, job, sync\)\s*3 \* .*freightliner_sync_interval_seconds/.test(exprOf('FreightlinerSyncStale')),
  'FreightlinerSyncStale: more than 3 intervals since the last success');
c.ok(/changes\(process_start_time_seconds\{job="freightliner"\}/.test(exprOf('FreightlinerCrashLooping')), 'FreightlinerCrashLooping counts restarts of freightliner targets');
c.ok(/freightliner_replication_bytes_total/.test(exprOf('ReplicationStopped')), 'ReplicationStopped: transferred bytes are progress');
// Store-derived gauges are alike on every replica: adding them up would multiply by replicas.
c.ok(/max by \(cluster\) \(freightliner_oldest_queued_job_age_seconds/.test(exprOf('JobQueueStalled')), 'JobQueueStalled: max of the store-derived age, not a sum');
c.ok(!/status=/.test(exprOf('ReplicationStopped')), 'ReplicationStopped: a finished tag of any status is progress');
// Every aggregation and join keeps the cluster (rules never add up two clusters).
for (const r of [...records, ...alerts]) {
  const id = r.record || `alert ${r.alert}`;
  for (const m of r.expr.matchAll(/\b(by|on)\s*\(([^)]*)\)/g)) {
    c.ok(m[2].split(',').map((x) => x.trim()).includes('cluster'), `${id}: ${m[1]} (${m[2]}) keeps cluster`);
  }
}
// Real copies only: the replication SLIs and ratios never count up_to_date.
for (const r of records) {
  if (/freightliner_replications_total/.test(r.expr) && /error_ratio|failure_ratio|replications:/.test(r.record)) {
    for (const m of r.expr.matchAll(/freightliner_replications_total(\{[^}]*\})?/g)) {
      c.ok(m[1] && /status=~?"(success\|failed|failed)"/.test(m[1]), `${r.record}: replications_total selects real copies (status success|failed): ${m[0]}`);
    }
  }
}
// API traffic only: the HTTP SLIs and the 5xx/latency alerts' inputs leave out the probe paths.
for (const r of records) {
  if (/^job(_le)?:freightliner_http/.test(r.record) && !/p9[59]_rate5m$/.test(r.record)) {
    for (const m of r.expr.matchAll(/freightliner_http_request[a-z_]*(\{[^}]*\})?\[/g)) {
      c.ok(m[1] && m[1].includes('path!~"/health|/ready|/metrics"'), `${r.record}: leaves out /health, /ready and /metrics: ${m[0]}`);
    }
  }
}
// Low traffic: every ratio alert also requires enough events in its window.
for (const a of alerts) {
  if (/_ratio:rate/.test(a.expr)) {
    c.ok(/:increase\w+ >= 20/.test(a.expr), `alert ${a.alert}${a.labels?.long_window ? ` (${a.labels.long_window})` : ''}: needs at least 20 events`);
  }
  if (a.labels?.burn_rate) {
    const lw = a.labels.long_window;
    c.ok(a.expr.includes(`:rate${lw} * `) && a.expr.includes(`:increase${lw} >= 1.5`), `alert ${a.alert} (${lw}): needs at least 2 bad events in ${lw}`);
  }
}

const known = new Set([...Object.keys(SPEC), ...Object.keys(BURN), ...Object.keys(ISSUE10), ...Object.keys(ISSUE12), ...Object.keys(CLUSTER_MODE), 'Watchdog']);
for (const name of byName.keys()) c.ok(known.has(name), `alert ${name} is in the checked table (add it here)`);

// --- Labels, annotations, runbook links ------------------------------------------------------
const REQUIRED_ANN = ['summary', 'description', 'impact', 'action', 'runbook_url'];
const runbookMd = readText(path.join(MON, 'docs/SLO_RUNBOOKS.md'));
const anchors = markdownAnchors(runbookMd);
for (const a of alerts) {
  const where = `alert ${a.alert}${a.labels?.long_window ? ` (${a.labels.long_window})` : ''}`;
  c.ok(['critical', 'warning', 'none'].includes(a.labels?.severity), `${where}: severity is critical|warning|none`);
  c.ok(typeof a.labels?.component === 'string' && a.labels.component.length > 0, `${where}: has a component label`);
  for (const k of REQUIRED_ANN) c.ok(typeof a.annotations?.[k] === 'string' && a.annotations[k].trim() !== '', `${where}: annotation ${k}`);
  const url = a.annotations?.runbook_url || '';
  c.eq(url, `${RUNBOOK_BASE}#${a.alert.toLowerCase()}`, `${where}: runbook_url`);
  c.ok(anchors.has(a.alert.toLowerCase()), `${where}: SLO_RUNBOOKS.md has a section '## ${a.alert}' (anchor #${a.alert.toLowerCase()})`);
}

// --- Alertmanager templates read only annotations every alert sets --------------------------
const tmpl = readText(path.join(MON, 'alertmanager/templates/freightliner.tmpl'));
const used = new Set([...tmpl.matchAll(/Annotations\.([a-zA-Z_]+)/g)].map((m) => m[1]));
c.ok(used.size >= 5, `templates read the annotations (found ${[...used]})`);
for (const k of used) c.ok(REQUIRED_ANN.includes(k), `template reads annotation '${k}', which alerts are not required to set`);
for (const k of ['summary', 'impact', 'action', 'runbook_url']) c.ok(used.has(k), `templates show ${k}`);

// --- Expressions: metric names, labels, windows, buckets --------------------------------------
const metricsOk = contractMetricNames();
const labelsOk = contractLabelNames();
for (const r of [...records, ...alerts]) {
  const id = r.record || `alert ${r.alert}`;
  const { metrics, labels } = promqlNames(r.expr);
  for (const m of metrics) c.ok(metricsOk.has(m) || recordNames.has(m), `${id}: unknown metric '${m}'`);
  for (const l of labels) c.ok(labelsOk.has(l), `${id}: unknown label '${l}'`);
  c.ok(!/\ble\s*=\s*"/.test(r.expr), `${id}: matches a bucket with le="..." (Prometheus 3 writes le="60.0"; use le=~"60(\\\\.0)?")`);
  const m = /:rate(\w+)$/.exec(r.record || '');
  if (m) {
    const ranges = [...r.expr.matchAll(/\[(\w+)\]/g)].map((x) => x[1]);
    for (const w of ranges) c.eq(w, m[1], `${id}: range window matches the name`);
  }
}
// Recorded series the alerts use exist.
for (const a of alerts) {
  for (const m of promqlNames(a.expr).metrics) if (m.includes(':')) c.ok(recordNames.has(m), `alert ${a.alert}: uses ${m}, which no recording rule defines`);
}
c.done();
