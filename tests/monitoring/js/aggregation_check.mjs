// Cluster mode: do the dashboards add up the replicas the right way? Against a Prometheus that
// holds several replicas of one cluster (queries_live.sh, js/synthetic_metrics.mjs), each panel
// query below is run at one instant next to the raw per-replica series it is built from, and its
// result must be what that aggregation of the raw series gives:
//   alike  the gauges every replica reads from the shared job store (same value on each): the
//          panel shows that value once (a sum would show it once per replica);
//   sum    the replicas' own gauges and counters: the panel shows the raw series (or their rate or
//          increase) added up by the `by` labels (a max, or a missing label, shows something else).
// Each check also makes sure the data can tell the right aggregation from the wrong one (several
// replicas, different contributions), so that it can fail.
//   node aggregation_check.mjs --prometheus http://127.0.0.1:9090
import fs from 'node:fs';
import path from 'node:path';
import { Checker, MON, substituteGrafana } from './common.mjs';
import { allPanels } from './queries.mjs';

const args = process.argv.slice(2);
const url = args[args.indexOf('--prometheus') + 1];
if (args.indexOf('--prometheus') < 0 || !url) throw new Error('usage: aggregation_check.mjs --prometheus URL');

const VARS = { source_registry: '.*', dest_registry: '.*', instance: '.*', cost_per_gb: '0.09' };
const RO = 'replication-overview.json';
const INFRA = 'infrastructure-metrics.json';
// [dashboard, panel title, refId, how, raw expression (per replica), by labels (for sum)]
const CHECKS = [
  [RO, 'Jobs queued and running', 'A', 'alike', 'freightliner_jobs_queued{job="freightliner"}'],
  [RO, 'Jobs queued and running', 'B', 'sum', 'freightliner_jobs_active{job="freightliner"}', []],
  [RO, 'Oldest queued job age', 'A', 'alike', 'freightliner_oldest_queued_job_age_seconds{job="freightliner"}'],
  [RO, 'Jobs running / queued work', 'A', 'sum', 'freightliner_jobs_active', []],
  [RO, 'Registry events by action', 'A', 'sum', 'rate(freightliner_events_received_total{job="freightliner"}[5m])', ['source', 'action']],
  [INFRA, 'Jobs running and job duration P95', 'A', 'sum', 'freightliner_jobs_active', []],
  [INFRA, 'Jobs running by instance', 'A', 'sum', 'freightliner_jobs_active{job="freightliner"}', ['instance']],
  [INFRA, 'Lease takeovers and fencing rejections', 'A', 'sum', 'increase(freightliner_job_lease_takeovers_total{job="freightliner"}[5m])', ['instance']],
  [INFRA, 'Lease takeovers and fencing rejections', 'B', 'sum', 'increase(freightliner_job_fencing_rejections_total{job="freightliner"}[5m])', ['instance']],
  [INFRA, 'Job store errors by operation', 'A', 'sum', 'rate(freightliner_store_errors_total{job="freightliner"}[5m])', ['instance', 'operation']],
];
// The whole-cluster sums must see at least this many replicas contribute (else max == sum).
const MIN_REPLICAS = 3;

const c = new Checker('aggregation_check');
const time = String(Math.floor(Date.now() / 1000) - 30);
async function query(expr) {
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr, time }),
    signal: AbortSignal.timeout(30000),
  });
  const body = await res.json().catch(() => ({}));
  if (body.status !== 'success') throw new Error(`${body.errorType || res.status}: ${body.error || ''}: ${expr}`);
  return body.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
}
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const key = (labels, by) => JSON.stringify(by.map((l) => labels[l] ?? ''));

const dashboards = {};
for (const file of [RO, INFRA]) dashboards[file] = JSON.parse(fs.readFileSync(path.join(MON, 'grafana/dashboards', file), 'utf8'));

for (const [file, title, refId, how, raw, by] of CHECKS) {
  const where = `${file} '${title}' ${refId}`;
  const target = allPanels(dashboards[file]).find((p) => p.title === title)?.targets?.find((t) => t.refId === refId);
  if (!c.ok(target, `${where}: no such panel query`)) continue;
  const expr = substituteGrafana(target.expr, VARS);
  let panel, rawSeries;
  try {
    [panel, rawSeries] = await Promise.all([query(expr), query(raw)]);
  } catch (e) {
    c.ok(false, `${where}: ${e.message}`);
    continue;
  }
  const instances = new Set(rawSeries.map((s) => s.labels.instance));
  if (!c.ok(instances.size >= MIN_REPLICAS, `${where}: the data has ${instances.size} replicas of ${raw}, want ${MIN_REPLICAS} or more`)) continue;
  if (how === 'alike') {
    const values = [...new Set(rawSeries.map((s) => s.value))];
    if (!c.ok(values.length === 1 && values[0] > 0, `${where}: the replicas should report one positive value of ${raw}, got ${values}`)) continue;
    c.ok(panel.length === 1 && close(panel[0].value, values[0]),
      `${where}: shows ${panel.map((s) => s.value).join(', ')}, want ${values[0]} (what each of the ${instances.size} replicas reads from the job store; a sum counts it once per replica)\n    ${expr}`);
    continue;
  }
  // sum: the raw series added up by `by`, and the data must tell a sum from a max.
  const want = new Map();
  let distinguishes = false;
  for (const s of rawSeries) {
    const k = key(s.labels, by);
    const g = want.get(k) || { sum: 0, max: -Infinity, nonzero: 0 };
    g.sum += s.value;
    g.max = Math.max(g.max, s.value);
    if (s.value !== 0) g.nonzero++;
    want.set(k, g);
  }
  for (const g of want.values()) if (!close(g.sum, g.max)) distinguishes = true;
  if (!by.includes('instance')) c.ok(distinguishes, `${where}: in the data, no group of ${raw} by (${by}) has two replicas contributing: a max would pass`);
  else c.ok([...want.values()].some((g) => g.sum > 0), `${where}: all of ${raw} is 0: the check shows nothing`);
  const got = new Map(panel.map((s) => [key(s.labels, by), s.value]));
  c.eq([...got.keys()].sort(), [...want.keys()].sort(), `${where}: series by (${by})\n    ${expr}\n   `);
  for (const [k, g] of want) {
    if (got.has(k)) c.ok(close(got.get(k), g.sum), `${where}: ${k} shows ${got.get(k)}, want ${g.sum} (the replicas' ${raw} added up by (${by}))\n    ${expr}`);
  }
}
c.done();
