// Shared helpers for the monitoring checks: YAML loading, the metric contract, PromQL name
// extraction and a tiny assertion collector. Node's standard library plus the pinned npm packages
// in ../k8s-validate (yaml, kubernetes-models); no network.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');
export const MON = path.join(REPO, 'monitoring');
export const require = createRequire(path.join(here, '../k8s-validate/package.json'));
export const YAML = require('yaml');

export function readText(p) {
  return fs.readFileSync(p, 'utf8');
}

// Strict YAML: duplicate keys and syntax errors are fatal (a duplicated key silently overriding
// another is the kind of mistake these checks exist to catch).
export function loadYaml(p) {
  const docs = YAML.parseAllDocuments(readText(p), { uniqueKeys: true, merge: true });
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${p}: ${d.errors.map((e) => e.message).join('; ')}`);
  }
  const out = docs.map((d) => d.toJS({ maxAliasCount: 1000 })).filter((d) => d !== null);
  return out.length === 1 ? out[0] : out;
}
export function loadYamlAll(p) {
  const docs = YAML.parseAllDocuments(readText(p), { uniqueKeys: true });
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${p}: ${d.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d !== null);
}

// JSON with object keys sorted (key order carries no meaning in YAML or JSON objects).
export function canonical(v) {
  return JSON.stringify(v, (k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x);
}

// Collects failures so that one run reports all of them; `done()` exits non-zero if any.
export class Checker {
  constructor(name) {
    this.name = name;
    this.failures = [];
    this.count = 0;
  }
  ok(cond, msg) {
    this.count++;
    if (!cond) this.failures.push(msg);
    return !!cond;
  }
  eq(actual, expected, msg) {
    const a = canonical(actual);
    const e = canonical(expected);
    return this.ok(a === e, `${msg}: expected ${e}, got ${a}`);
  }
  done() {
    if (this.failures.length) {
      for (const f of this.failures) console.error(`FAIL: ${f}`);
      console.error(`${this.name}: ${this.failures.length} of ${this.count} checks failed`);
      process.exit(1);
    }
    console.log(`${this.name}: all ${this.count} checks passed`);
  }
}

// The metric contract: what `freightliner serve` exports on :2112/metrics (docs/METRICS.md).
// Histograms also expose _bucket (with `le`), _sum and _count.
export const CONTRACT = {
  freightliner_replications_total: ['source_registry', 'dest_registry', 'status'],
  freightliner_replication_duration_seconds: ['source_registry', 'dest_registry'],
  freightliner_replication_bytes_total: ['source_registry', 'dest_registry'],
  freightliner_replication_layers_total: ['source_registry', 'dest_registry'],
  freightliner_replication_errors_total: ['source_registry', 'dest_registry', 'error_type'],
  freightliner_http_requests_total: ['method', 'path', 'status'],
  freightliner_http_request_duration_seconds: ['method', 'path', 'status'],
  freightliner_http_requests_in_flight: [],
  freightliner_worker_pool_size: [],
  freightliner_worker_pool_active: [],
  freightliner_worker_pool_queued: [],
  freightliner_memory_usage_bytes: [],
  freightliner_goroutines_count: [],
  freightliner_panics_total: ['component'],
  freightliner_jobs_total: ['type', 'status'],
  freightliner_job_duration_seconds: ['type'],
  freightliner_jobs_active: [],
  freightliner_auth_failures_total: ['type'],
  freightliner_build_info: ['version', 'revision'],
  // Issue 10 (exported by the service from that change on): scheduled syncs and registry retries.
  freightliner_sync_last_start_timestamp_seconds: ['sync'],
  freightliner_sync_last_success_timestamp_seconds: ['sync'],
  freightliner_sync_interval_seconds: ['sync'],
  freightliner_registry_retries_total: ['registry', 'reason'],
  // Issue 12: replication on push.
  freightliner_events_received_total: ['source', 'action'],
  freightliner_event_replication_lag_seconds: [],
  // Issue 12: cluster mode (the queue gauges come from the shared store: alike on every replica).
  freightliner_store_errors_total: ['operation'],
  freightliner_jobs_queued: [],
  freightliner_oldest_queued_job_age_seconds: [],
  freightliner_job_lease_takeovers_total: [],
  freightliner_job_fencing_rejections_total: [],
  process_resident_memory_bytes: [],
  process_cpu_seconds_total: [],
  process_open_fds: [],
  process_start_time_seconds: [],
};
export const HISTOGRAMS = new Set([
  'freightliner_replication_duration_seconds',
  'freightliner_http_request_duration_seconds',
  'freightliner_job_duration_seconds',
  'freightliner_event_replication_lag_seconds',
]);
// The replications_total statuses: success and failed are real copies (the SLIs' events);
// up_to_date is a tag that was already there (a no-op resync), finished but not an event.
export const REPLICATION_STATUSES = ['success', 'failed', 'up_to_date'];
// Series Prometheus itself makes for every target, and the labels the scrape configs attach.
export const PROMETHEUS_SERIES = new Set(['up']);
export const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'node', 'version'];
// External labels (prometheus.yml): on alerts and on series wherever clusters meet.
export const EXTERNAL_LABELS = ['cluster', 'replica'];
// The alerting path: what Prometheus (job prometheus) and Alertmanager (job alertmanager) export
// about themselves, as far as the alert rules use it.
export const ALERTING_PATH = {
  prometheus_rule_evaluation_failures_total: ['rule_group'],
  prometheus_notifications_alertmanagers_discovered: [],
  prometheus_notifications_dropped_total: [],
  prometheus_notifications_errors_total: ['alertmanager'],
  alertmanager_notifications_failed_total: ['integration'],
  alertmanager_notifications_total: ['integration'],
};

export function contractMetricNames() {
  const names = new Set([...PROMETHEUS_SERIES, ...Object.keys(ALERTING_PATH)]);
  for (const m of Object.keys(CONTRACT)) {
    names.add(m);
    if (HISTOGRAMS.has(m)) for (const s of ['_bucket', '_sum', '_count']) names.add(m + s);
  }
  return names;
}
export function contractLabelNames() {
  const labels = new Set([...TARGET_LABELS, ...EXTERNAL_LABELS, 'le', '__name__']);
  for (const ls of [...Object.values(CONTRACT), ...Object.values(ALERTING_PATH)]) for (const l of ls) labels.add(l);
  return labels;
}

// Recording rule names defined in monitoring/prometheus/recording-rules.yml.
export function recordingRules() {
  const doc = loadYaml(path.join(MON, 'prometheus/recording-rules.yml'));
  const out = [];
  for (const g of doc.groups) for (const r of g.rules) if (r.record) out.push({ group: g.name, ...r });
  return out;
}
export function alertRules() {
  const doc = loadYaml(path.join(MON, 'prometheus/alert-rules.yml'));
  const out = [];
  for (const g of doc.groups) for (const r of g.rules) if (r.alert) out.push({ group: g.name, ...r });
  return out;
}

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless',
  'offset', 'inf', 'nan', 'Inf', 'NaN', 'atan2', 'start', 'end',
]);

// Grafana template syntax -> PromQL: $__rate_interval and friends become durations, user
// variables get the value given (a regex for registry filters, a number for a price).
export function substituteGrafana(expr, values = {}) {
  const builtin = {
    __rate_interval: '5m', __interval: '1m', __range: '1d', __range_s: '86400', __range_ms: '86400000',
    __interval_ms: '60000',
  };
  const all = { ...builtin, ...values };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (m, a, b, c) => {
    const n = a || b || c;
    if (!(n in all)) throw new Error(`unknown variable $${n} in: ${expr}`);
    return all[n];
  });
}

// Metric names and label names an expression uses. Not a full parser: strings, ranges and label
// matchers are cut out first; what is left before a `(` is a function or aggregation.
export function promqlNames(expr) {
  const metrics = new Set();
  const labels = new Set();
  let e = expr.replace(/#.*$/gm, '');
  // Label names in matchers {a="x", b=~"y"}.
  e = e.replace(/\{([^}]*)\}/g, (m, inner) => {
    const s = inner.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
    for (const mm of s.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.add(mm[1]);
    return ' ';
  });
  e = e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ');
  e = e.replace(/\[[^\]]*\]/g, ' ');
  // Label lists of by/without/on/ignoring/group_left/group_right.
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (m, kw, inner) => {
    for (const l of inner.split(',').map((x) => x.trim()).filter(Boolean)) labels.add(l);
    return ' ';
  });
  e = e.replace(/\boffset\s+-?\d+[smhdwy]\w*/g, ' ');
  for (const mm of e.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const tok = mm[1];
    if (mm[2]) continue; // function call or aggregation
    if (KEYWORDS.has(tok)) continue;
    if (/^\d/.test(tok)) continue;
    // Parts of numbers like 1e-12 or durations like 5m are preceded by a digit.
    const before = e[mm.index - 1];
    if (before && /[0-9.]/.test(before)) continue;
    metrics.add(tok);
  }
  return { metrics, labels };
}

// GitHub's anchor for a Markdown heading.
export function githubSlug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
export function markdownAnchors(md) {
  const anchors = new Set();
  let inFence = false;
  for (const line of md.split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m) anchors.add(githubSlug(m[1]));
  }
  return anchors;
}
