// Synthetic history of every metric in the contract, as OpenMetrics text for
// `promtool tsdb create-blocks-from openmetrics`: three hours at the 15 s scrape interval, ending
// now, for one instance replicating between two registry pairs, with failures, 5xx, a panic and
// auth failures, so that every dashboard query and recording rule has data to work on. Two more
// replicas of a cluster (REPLICAS) export the cluster-mode metrics: the job-store gauges with the
// same values as the first (they read one shared store), their own jobs, lease takeovers, fencing
// rejections, store errors and registry events, so that aggregation_check.mjs can tell a panel that
// takes the max of the store gauges or adds up the replicas' own series from one that does not.
// Usage: node synthetic_metrics.mjs > metrics.om
const STEP = 15;
const now = Math.floor(Date.now() / 1000) - STEP;
const N = (3 * 3600) / STEP;
const T0 = now - (N - 1) * STEP;
const base = { job: 'freightliner', instance: '127.0.0.1:2112', namespace: 'local', pod: 'freightliner-local' };
const lines = [];
const REPLICAS = [
  { instance: '127.0.0.1:2112', pod: 'freightliner-local' },
  { instance: '127.0.0.1:2113', pod: 'freightliner-local-1' },
  { instance: '127.0.0.1:2114', pod: 'freightliner-local-2' },
];
const fmt = (labels) => '{' + Object.entries({ ...base, ...labels }).map(([k, v]) => `${k}="${v}"`).join(',') + '}';
// series(name, labels, fn(i) -> value)
const all = [];
function series(name, labels, fn) { all.push({ name, labels: fmt(labels), fn }); }

const pairs = [['registry-a.example', 'mirror.example'], ['registry-b.example', 'mirror.example']];
const REPL_LE = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const HTTP_LE = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_LE = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
// Cumulative histogram of `count(i)` observations per step, each of value `obs(k)`.
function histogram(name, labels, les, perStep, obs) {
  const counts = new Map(les.map((le) => [le, 0]));
  const cache = [];
  let inf = 0, sum = 0;
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < perStep; k++) {
      const v = obs(i, k);
      for (const le of les) if (v <= le) counts.set(le, counts.get(le) + 1);
      inf++; sum += v;
    }
    cache.push({ b: new Map(counts), inf, sum });
  }
  for (const le of les) series(`${name}_bucket`, { ...labels, le: String(le) }, (i) => cache[i].b.get(le));
  series(`${name}_bucket`, { ...labels, le: '+Inf' }, (i) => cache[i].inf);
  series(`${name}_count`, labels, (i) => cache[i].inf);
  series(`${name}_sum`, labels, (i) => cache[i].sum);
}
const ERROR_TYPES = ['auth', 'not_found', 'rate_limited', 'network', 'timeout', 'digest_mismatch', 'server_error', 'client_error', 'canceled', 'invalid_argument', 'invalid_name', 'internal'];
for (const [p, [src, dst]] of pairs.entries()) {
  const rl = { source_registry: src, dest_registry: dst };
  series('freightliner_replications_total', { ...rl, status: 'success' }, (i) => 2 * i);
  series('freightliner_replications_total', { ...rl, status: 'failed' }, (i) => Math.floor(i / (10 + 10 * p)));
  // Resyncs: most tags are already at the destination (no duration observed for them).
  series('freightliner_replications_total', { ...rl, status: 'up_to_date' }, (i) => 20 * i);
  series('freightliner_replication_bytes_total', rl, (i) => i * 50_000_000);
  series('freightliner_replication_layers_total', rl, (i) => i * 6);
  for (const t of ERROR_TYPES) {
    series('freightliner_replication_errors_total', { ...rl, error_type: t }, (i) =>
      t === 'network' ? Math.floor(i / (10 + 10 * p)) : t === 'rate_limited' ? Math.floor(i / 50) : 0);
  }
  histogram('freightliner_replication_duration_seconds', rl, REPL_LE, 2, (i, k) => (k === 0 ? 40 : (i % 30 === 0 ? 400 : 90)));
}
const routes = [['GET', '/api/v1/jobs', '200', 5], ['POST', '/api/v1/replicate', '202', 1], ['GET', '/api/v1/jobs/{id}', '404', 1], ['POST', '/api/v1/replicate', '500', 0.05], ['GET', '/health', '200', 1],
  ['GET', '/ready', '200', 1], ['GET', '/ready', '503', 0.1], ['GET', '/metrics', '200', 0.07]];
for (const [method, path, status, rate] of routes) {
  const l = { method, path, status };
  series('freightliner_http_requests_total', l, (i) => Math.floor(i * rate));
  histogram('freightliner_http_request_duration_seconds', l, HTTP_LE, Math.max(1, Math.round(rate)), (i) => (status === '500' ? 0.3 : 0.02));
}
series('freightliner_http_requests_in_flight', {}, (i) => i % 3);
series('freightliner_worker_pool_size', {}, () => 8);
series('freightliner_worker_pool_active', {}, (i) => 3 + (i % 6));
series('freightliner_worker_pool_queued', {}, (i) => i % 5);
series('freightliner_memory_usage_bytes', {}, (i) => 300_000_000 + 1_000_000 * (i % 50));
series('freightliner_goroutines_count', {}, () => 24);
for (const c of ['worker', 'api', 'scheduler']) series('freightliner_panics_total', { component: c }, (i) => (c === 'worker' && i > N - 10 ? 1 : 0));
for (const type of ['replicate', 'replicate-tree', 'sync']) {
  for (const status of ['succeeded', 'failed', 'canceled']) {
    series('freightliner_jobs_total', { type, status }, (i) => (status === 'succeeded' ? Math.floor(i / 4) : status === 'failed' ? Math.floor(i / 40) : 0));
  }
  histogram('freightliner_job_duration_seconds', { type }, JOB_LE, 1, () => 45);
}
// Cluster mode, every replica r (0 is the instance above). The queue gauges come from the shared
// job store: alike on every replica, never 0 at the end (a sum would be 3 times a max there). The
// counters step up more often than once in 5 minutes, so that every rate window sees them move.
for (const [r, { instance, pod }] of REPLICAS.entries()) {
  const rl = r === 0 ? {} : { instance, pod };
  series('freightliner_jobs_queued', rl, (i) => 1 + (i % 4));
  series('freightliner_oldest_queued_job_age_seconds', rl, (i) => 15 * (1 + (i % 4)));
  series('freightliner_jobs_active', rl, (i) => 1 + r + (i % 2));
  for (const operation of ['insert', 'update', 'read', 'purge', 'probe', 'check', 'claim', 'renew']) {
    series('freightliner_store_errors_total', { ...rl, operation }, (i) =>
      (operation === 'claim' ? Math.floor(i / (15 - 5 * r)) : operation === 'renew' && r === 2 ? Math.floor(i / 8) : 0));
  }
  series('freightliner_job_lease_takeovers_total', rl, (i) => Math.floor(i / (12 - 4 * r)));
  series('freightliner_job_fencing_rejections_total', rl, (i) => (r === 2 ? Math.floor(i / 6) : 0));
  if (r > 0) {
    series('up', rl, () => 1);
    for (const [action, every] of [['push', 2 * r], ['pull', 0.5]]) {
      series('freightliner_events_received_total', { ...rl, source: r === 1 ? 'distribution' : 'harbor', action }, (i) => Math.floor(i / every));
    }
  }
}
series('freightliner_auth_failures_total', { type: 'api_key' }, (i) => Math.floor(i / 20));
series('freightliner_auth_failures_total', { type: 'registry' }, (i) => Math.floor(i / 30));
series('freightliner_build_info', { version: '0.1.0', revision: 'synthetic' }, () => 1);
series('process_resident_memory_bytes', {}, (i) => 300_000_000 + 1_000_000 * (i % 50));
series('process_cpu_seconds_total', {}, (i) => i * 1.5);
series('process_open_fds', {}, () => 40);
series('process_start_time_seconds', {}, () => T0 - 60);
series('up', {}, () => 1);
// Scheduled syncs: one every 10 minutes that succeeds, one whose scheduler stopped an hour ago.
for (const [sync, stoppedAt] of [['nightly-mirror', N], ['base-images', N - 240]]) {
  const lastRun = (i) => T0 + Math.floor(Math.min(i, stoppedAt) / 40) * 40 * STEP;
  series('freightliner_sync_last_start_timestamp_seconds', { sync }, lastRun);
  series('freightliner_sync_last_success_timestamp_seconds', { sync }, lastRun);
  series('freightliner_sync_interval_seconds', { sync }, () => 600);
}
for (const registry of ['registry-a.example', 'mirror.example']) {
  for (const reason of ['server_error', 'rate_limited', 'network', 'timeout']) {
    series('freightliner_registry_retries_total', { registry, reason }, (i) => (reason === 'rate_limited' ? Math.floor(i / 20) : Math.floor(i / 200)));
  }
}

// Replication on push: a push event a step, copied in 3 s (one in 40 takes 90 s); pulls.
const LAG_LE = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
histogram('freightliner_event_replication_lag_seconds', {}, LAG_LE, 1, (i) => (i % 40 === 0 ? 90 : 3));
for (const [action, every] of [['push', 1], ['pull', 0.25], ['ignored', 2], ['invalid', 100], ['delete', 1000]]) {
  series('freightliner_events_received_total', { source: 'distribution', action }, (i) => Math.floor(i / every));
}

// OpenMetrics wants each metric family's samples together, in time order (a histogram's _bucket,
// _count and _sum are one family): the series grouped by family, in the order families appear.
const family = (name) => name.replace(/_(bucket|count|sum)$/, '');
const rank = new Map();
for (const s of all) if (!rank.has(family(s.name))) rank.set(family(s.name), rank.size);
all.sort((a, b) => rank.get(family(a.name)) - rank.get(family(b.name)));
const out = [];
for (const s of all) for (let i = 0; i < N; i++) out.push(`${s.name}${s.labels} ${s.fn(i)} ${T0 + i * STEP}`);
out.push('# EOF');
process.stdout.write(out.join('\n') + '\n');
