// Checks the Grafana dashboards and provisioning files:
//  - the four dashboards of the spec, valid JSON, bare models (what file provisioning loads, not the
//    HTTP API's {"dashboard": ...} wrapper), stable and unique uids, unique panel ids;
//  - a `datasource` variable (type datasource, prometheus) that every panel and target uses, and
//    whose default is the provisioned datasource's uid;
//  - every variable used by some query; registry filters on the dashboards that show registries;
//    the price per GB a variable, not a constant;
//  - every expression names only metrics the binary exports or recording rules that exist, and
//    only known labels;
//  - the spec's key panels, SLO thresholds drawn as lines, a heatmap built from histogram buckets;
//  - cluster mode: the gauges read from the shared job store (alike on every replica) taken with
//    max, never added up; the per-replica counters through rate/increase; the queue-age line at the
//    JobQueueStalled alert's threshold.
import fs from 'node:fs';
import path from 'node:path';
import {
  Checker, MON, loadYaml, recordingRules, alertRules, promqlNames, contractMetricNames, contractLabelNames, substituteGrafana,
} from './common.mjs';
import { allPanels, variableQueryToPromQL } from './queries.mjs';

const c = new Checker('dashboards');
const dir = path.join(MON, 'grafana/dashboards');
const EXPECTED = {
  'replication-overview.json': {
    uid: 'freightliner-replication-overview', vars: ['datasource', 'source_registry', 'dest_registry'],
    panels: ['Success rate', 'Active replication rate', 'Data transfer throughput', 'Replication latency P95 / P99', 'Errors by type', 'Top replication pairs',
      'Jobs queued and running', 'Oldest queued job age'],
  },
  'infrastructure-metrics.json': {
    uid: 'freightliner-infrastructure', vars: ['datasource', 'instance'],
    panels: ['Service uptime', 'Memory usage', 'Goroutine count (threads)', 'Worker pool utilization', 'HTTP requests by status', 'HTTP latency P95 by route', 'Job execution rate',
      'Jobs running by instance', 'Lease takeovers and fencing rejections', 'Job store errors by operation'],
  },
  'business-metrics.json': {
    uid: 'freightliner-business', vars: ['datasource', 'source_registry', 'dest_registry', 'cost_per_gb'],
    panels: ['Total replications (24h)', 'Data transferred (GB, 24h)', 'Success rate trend', 'Estimated cost (24h)', 'Top repositories by volume', 'Traffic distribution by destination'],
  },
  'error-latency.json': {
    uid: 'freightliner-error-latency', vars: ['datasource', 'source_registry', 'dest_registry'],
    panels: ['Error budget remaining (99.9% SLO)', 'Current error rate', 'Latency SLO compliance (<60s target)', 'Error rate by registry', 'Latency heatmap', 'Slowest operations'],
  },
};
// The JobQueueStalled alert's threshold in seconds, as the rule file says it.
function queueStalledSeconds() {
  const m = /freightliner_oldest_queued_job_age_seconds\{[^}]*\}\) > (\d+)$/.exec((alertRules().find((r) => r.alert === 'JobQueueStalled')?.expr || '').trim());
  if (!m) throw new Error('JobQueueStalled: no "max by (...) (freightliner_oldest_queued_job_age_seconds{...}) > N" expression');
  return Number(m[1]);
}
// Cluster mode. Gauges read from the shared job store: every replica reports the same value, so
// a sum would count the queue once per replica; they must be taken with max (by whatever labels).
const STORE_GAUGES = ['freightliner_jobs_queued', 'freightliner_oldest_queued_job_age_seconds'];
// Per-replica counters: only their rate or increase means anything, added up over replicas.
const REPLICA_COUNTERS = ['freightliner_job_lease_takeovers_total', 'freightliner_job_fencing_rejections_total', 'freightliner_store_errors_total',
  'freightliner_events_received_total'];
// Panels that must show the cluster metrics: title -> metrics.
const CLUSTER_PANELS = {
  'replication-overview.json': { 'Jobs queued and running': ['freightliner_jobs_queued', 'freightliner_jobs_active'], 'Oldest queued job age': ['freightliner_oldest_queued_job_age_seconds'] },
  'infrastructure-metrics.json': {
    'Jobs running by instance': ['freightliner_jobs_active'],
    'Lease takeovers and fencing rejections': ['freightliner_job_lease_takeovers_total', 'freightliner_job_fencing_rejections_total'],
    'Job store errors by operation': ['freightliner_store_errors_total'],
  },
};
// Panels whose SLO or alert threshold must be drawn: title -> threshold values expected in steps.
const THRESHOLD_LINES = {
  'replication-overview.json': { 'Replication latency P95 / P99': [60, 300], 'Failure ratio by registry pair': [0.1], 'Oldest queued job age': [queueStalledSeconds()] },
  'infrastructure-metrics.json': { 'Memory usage': [4294967296], 'Worker pool utilization': [0.9], 'HTTP 5xx rate': [1], 'HTTP latency P95 by route': [5] },
  'business-metrics.json': { 'Success rate trend': [0.999] },
  'error-latency.json': { 'Error ratio and SLO': [0.001, 0.0144], 'Latency SLO compliance by registry': [0.99], 'Burn rate': [6, 14.4], 'Error rate by registry': [0.1], 'API 5xx ratio': [0.005] },
};
const THRESHOLD_STATS = {
  'replication-overview.json': { 'Success rate': [0.99] },
  'infrastructure-metrics.json': { 'Service uptime': [0.999] },
  'error-latency.json': { 'Latency SLO compliance (<60s target)': [0.99] },
};

const ds = loadYaml(path.join(MON, 'grafana/provisioning/datasources/prometheus.yml'));
const prov = ds.datasources?.[0];
c.eq([ds.datasources?.length, prov?.type, prov?.uid], [1, 'prometheus', 'freightliner-prometheus'], 'datasource provisioning: one Prometheus with a fixed uid');
c.eq(prov?.url, '${FREIGHTLINER_PROMETHEUS_URL}', 'datasource URL from the environment');
c.eq(prov?.jsonData?.timeInterval, '15s', 'datasource scrape interval matches Prometheus');
const dp = loadYaml(path.join(MON, 'grafana/provisioning/dashboards/freightliner.yml'));
const provider = dp.providers?.[0];
c.eq([dp.providers?.length, provider?.type, provider?.folder], [1, 'file', 'Freightliner'], 'dashboard provisioning: one file provider into a folder');
c.eq(provider?.options?.path, '${FREIGHTLINER_DASHBOARDS_DIR}', 'dashboard directory from the environment');

c.eq(fs.readdirSync(dir).sort(), Object.keys(EXPECTED).sort(), 'dashboard files');
const metricsOk = contractMetricNames();
const recordNames = new Set(recordingRules().map((r) => r.record));
const labelsOk = contractLabelNames();
const uids = new Set();
for (const [file, exp] of Object.entries(EXPECTED)) {
  const p = path.join(dir, file);
  let d;
  try { d = JSON.parse(fs.readFileSync(p, 'utf8')); } catch (e) { c.ok(false, `${file}: invalid JSON: ${e.message}`); continue; }
  c.ok(!('dashboard' in d) && Array.isArray(d.panels) && typeof d.title === 'string', `${file}: bare dashboard model (no {"dashboard": ...} wrapper)`);
  c.ok(d.id === null || d.id === undefined, `${file}: no numeric id (Grafana assigns it)`);
  c.eq(d.uid, exp.uid, `${file}: stable uid`);
  c.ok(!uids.has(d.uid), `${file}: uid unique`);
  uids.add(d.uid);
  c.ok(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36, `${file}: schemaVersion`);

  // Variables.
  const vars = d.templating?.list || [];
  c.eq(vars.map((v) => v.name), exp.vars, `${file}: variables`);
  const dsv = vars.find((v) => v.name === 'datasource');
  c.eq([dsv?.type, dsv?.query, dsv?.current?.value], ['datasource', 'prometheus', prov?.uid], `${file}: datasource variable defaults to the provisioned datasource`);
  for (const v of vars.filter((x) => x.type === 'query')) {
    c.eq(v.datasource, { type: 'prometheus', uid: '${datasource}' }, `${file}: variable ${v.name} queries the datasource variable`);
    if (v.includeAll) c.eq(v.allValue, '.*', `${file}: variable ${v.name} "All" is a regex`);
  }
  const cost = vars.find((v) => v.name === 'cost_per_gb');
  if (exp.vars.includes('cost_per_gb')) c.ok(cost && ['textbox', 'constant', 'custom'].includes(cost.type) && Number(cost.query) > 0, `${file}: cost per GB is a variable with a default`);

  // Panels.
  const panels = allPanels(d);
  const ids = panels.map((x) => x.id);
  c.eq(new Set(ids).size, ids.length, `${file}: panel ids unique`);
  const titles = new Set(panels.map((x) => x.title));
  for (const t of exp.panels) c.ok(titles.has(t), `${file}: key panel '${t}'`);
  const exprs = [];
  for (const panel of panels) {
    if (panel.type === 'row' || panel.type === 'text') continue;
    const where = `${file}: panel ${panel.id} '${panel.title}'`;
    c.eq(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, `${where}: datasource is the variable`);
    c.ok((panel.targets || []).length > 0, `${where}: has queries`);
    for (const t of panel.targets || []) {
      c.eq(t.datasource, { type: 'prometheus', uid: '${datasource}' }, `${where} ${t.refId}: target datasource is the variable`);
      exprs.push([where, t.expr]);
    }
    c.ok(typeof panel.description === 'string' && panel.description.length > 10, `${where}: describes itself`);
  }
  for (const v of vars.filter((x) => x.type === 'query')) exprs.push([`${file}: variable ${v.name}`, variableQueryToPromQL(v.query.query ?? v.query)]);
  // Every variable used; expressions name only known metrics and labels.
  const allText = exprs.map(([, e]) => e).join('\n');
  for (const v of vars) {
    if (v.name === 'datasource') continue;
    c.ok(new RegExp(`\\$(\\{)?${v.name}\\b`).test(allText), `${file}: variable $${v.name} is used by a query`);
  }
  for (const [where, e] of exprs) {
    let sub;
    try { sub = substituteGrafana(e, { source_registry: '.*', dest_registry: '.*', instance: '.*', cost_per_gb: '0.09' }); } catch (err) { c.ok(false, `${where}: ${err.message}`); continue; }
    const { metrics, labels } = promqlNames(sub);
    c.ok(metrics.size > 0, `${where}: names a metric`);
    for (const m of metrics) c.ok(metricsOk.has(m) || recordNames.has(m), `${where}: unknown metric '${m}'`);
    for (const l of labels) c.ok(labelsOk.has(l), `${where}: unknown label '${l}'`);
    c.ok(!/\ble\s*=\s*"/.test(e), `${where}: le="..." (use le=~"60(\\\\.0)?")`);
    c.ok(!/\*\s*0?\.\d+\s*$/.test(e) || e.includes('$cost_per_gb'), `${where}: constant price in a query`);
  }
  // Cluster mode: how the replicas' series are combined.
  for (const [where, e] of exprs) {
    for (const m of STORE_GAUGES) {
      if (!new RegExp(`\\b${m}\\b`).test(e)) continue;
      c.ok(new RegExp(`(^|[^\\w])max(\\s+by\\s*\\([^)]*\\))?\\s*\\(\\s*${m}\\b`).test(e) && !/\b(sum|count)\b/.test(e),
        `${where}: ${m} is alike on every replica (read from the job store): take the max, never a sum`);
    }
    for (const m of REPLICA_COUNTERS) {
      for (const mm of e.matchAll(new RegExp(`(\\w+)\\(\\s*${m}\\b`, 'g'))) c.ok(['rate', 'increase'].includes(mm[1]), `${where}: counter ${m} inside ${mm[1]}(), not rate/increase`);
      if (new RegExp(`\\b${m}\\b`).test(e)) c.ok(new RegExp(`\\b(rate|increase)\\(\\s*${m}\\b`).test(e) && /\bsum\b/.test(e), `${where}: counter ${m} as sum(rate or increase) over replicas`);
    }
  }
  for (const [title, metrics] of Object.entries(CLUSTER_PANELS[file] || {})) {
    const panel = panels.find((x) => x.title === title);
    const text = (panel?.targets || []).map((t) => t.expr).join('\n');
    for (const m of metrics) c.ok(text.includes(m), `${file}: '${title}' shows ${m}`);
    if (exp.vars.includes('instance')) c.ok((panel?.targets || []).every((t) => t.expr.includes('instance=~"$instance"')), `${file}: '${title}' follows $instance`);
  }
  if (exp.vars.includes('source_registry')) {
    const filtered = exprs.filter(([, e]) => e.includes('$source_registry') && e.includes('$dest_registry'));
    c.ok(filtered.length >= 4, `${file}: queries filter by both registry variables (${filtered.length})`);
  }
  if (exp.vars.includes('cost_per_gb')) c.ok(exprs.some(([w, e]) => /cost/i.test(w) && e.includes('$cost_per_gb')), `${file}: cost panels use $cost_per_gb`);

  // SLO and alert thresholds drawn as lines.
  for (const [title, values] of Object.entries(THRESHOLD_LINES[file] || {})) {
    const panel = panels.find((x) => x.title === title);
    if (!c.ok(panel, `${file}: panel '${title}'`)) continue;
    const mode = panel.fieldConfig?.defaults?.custom?.thresholdsStyle?.mode;
    c.ok(['line', 'dashed', 'line+area', 'dashed+area'].includes(mode), `${file}: '${title}' draws its thresholds as lines (mode ${mode})`);
    const stepValues = (panel.fieldConfig?.defaults?.thresholds?.steps || []).map((s) => s.value);
    for (const v of values) c.ok(stepValues.includes(v), `${file}: '${title}' has a threshold at ${v}`);
  }
  for (const [title, values] of Object.entries(THRESHOLD_STATS[file] || {})) {
    const panel = panels.find((x) => x.title === title);
    const stepValues = (panel?.fieldConfig?.defaults?.thresholds?.steps || []).map((s) => s.value);
    for (const v of values) c.ok(stepValues.includes(v), `${file}: '${title}' target ${v} is a threshold`);
  }
  if (file === 'error-latency.json') {
    const hm = panels.find((x) => x.type === 'heatmap');
    c.ok(hm, `${file}: a heatmap panel`);
    c.ok(hm?.targets?.[0]?.format === 'heatmap' && /_bucket\{/.test(hm.targets[0].expr) && /by \(le\)/.test(hm.targets[0].expr) && hm.options?.calculate === false,
      `${file}: heatmap built from histogram buckets (format heatmap, sum by (le), no client-side bucketing)`);
    const budget = panels.find((x) => x.title === 'Error budget remaining (99.9% SLO)');
    c.ok(/error_budget_remaining/.test(budget?.targets?.[0]?.expr || ''), `${file}: error budget panel reads the recorded budget`);
    c.eq(budget?.fieldConfig?.defaults?.unit, 'percentunit', `${file}: error budget as a percentage of the budget`);
  }
}
c.done();
