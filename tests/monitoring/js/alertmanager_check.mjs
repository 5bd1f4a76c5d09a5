// Checks monitoring/alertmanager/alertmanager.yml and alertmanager-local.yml beyond amtool:
// the local file keeps the same routing tree and inhibitions; timings per severity; secrets from
// files; Slack resolves; inhibitions that can never silence everything. Prints the route test
// cases (one line: "expected-receivers<TAB>label=value ...") for alertmanager.sh to run through
// `amtool config routes test`. The expected receivers come from the table below, written from the
// routing policy, not read from the config.
import path from 'node:path';
import { Checker, MON, loadYaml, alertRules } from './common.mjs';

const c = new Checker('alertmanager_check');
const prod = loadYaml(path.join(MON, 'alertmanager/alertmanager.yml'));
const local = loadYaml(path.join(MON, 'alertmanager/alertmanager-local.yml'));

c.eq(local.route, prod.route, 'alertmanager-local.yml has the same routing tree as alertmanager.yml');
c.eq(local.inhibit_rules, prod.inhibit_rules, 'alertmanager-local.yml has the same inhibit_rules');
c.eq(local.receivers.map((r) => r.name), prod.receivers.map((r) => r.name), 'same receiver names');
c.eq(prod.templates, ['/etc/alertmanager/templates/*.tmpl'], 'templates where the StatefulSet mounts them');
c.eq(local.templates, ['templates/*.tmpl'], 'local templates beside the config');

// --- Secrets and Slack ---------------------------------------------------------------------------
c.eq(prod.global?.slack_api_url_file, '/etc/alertmanager/secrets/slack-webhook', 'Slack webhook read from the mounted Secret');
for (const r of prod.receivers) {
  for (const s of r.slack_configs || []) {
    c.ok(!('api_url' in s), `${r.name}: no inline Slack api_url`);
    c.eq(s.send_resolved, true, `${r.name}: Slack send_resolved`);
    c.ok(/^#freightliner-/.test(s.channel), `${r.name}: Slack channel`);
    c.ok(/freightliner\.slack\.text/.test(s.text) && /freightliner\.runbook/.test(s.title_link), `${r.name}: uses the templates`);
  }
  for (const p of r.pagerduty_configs || []) {
    c.eq(p.routing_key_file, '/etc/alertmanager/secrets/pagerduty-key', `${r.name}: PagerDuty key read from the mounted Secret`);
    c.ok(!('routing_key' in p) && !('service_key' in p), `${r.name}: no inline PagerDuty key`);
  }
}
for (const r of local.receivers) {
  for (const s of r.slack_configs || []) c.ok(/^http:\/\/127\.0\.0\.1:9095\/slack\//.test(s.api_url), `local ${r.name}: Slack goes to the sink`);
  for (const p of r.pagerduty_configs || []) c.ok(/^http:\/\/127\.0\.0\.1:9095\/pagerduty\//.test(p.url), `local ${r.name}: PagerDuty goes to the sink`);
  for (const w of r.webhook_configs || []) c.ok(/^http:\/\/127\.0\.0\.1:9095\/webhook\//.test(w.url), `local ${r.name}: webhook goes to the sink`);
  // Same channels and templates as production: only the URLs and keys differ.
  const pr = prod.receivers.find((x) => x.name === r.name);
  const strip = (o) => JSON.parse(JSON.stringify(o, (k, v) => (['api_url', 'url', 'routing_key', 'routing_key_file', 'http_config'].includes(k) ? undefined : v)));
  c.eq(strip(r), strip(pr), `local ${r.name}: same as production apart from URLs and keys`);
}

// --- Timings ---------------------------------------------------------------------------------------
const top = prod.route.routes;
const find = (m) => top.filter((r) => JSON.stringify(r.matchers) === JSON.stringify(m));
for (const r of find(['severity="critical"'])) c.eq(r.group_wait, '10s', `critical route to ${r.receiver}: group_wait`);
c.eq(find(['severity="critical"']).map((r) => r.receiver), ['pagerduty-critical', 'slack-critical'], 'critical routes');
for (const r of find(['severity="warning"'])) c.eq(r.group_wait, '5m', `warning route to ${r.receiver}: group_wait`);
for (const r of top) {
  if (r.matchers.some((m) => m.startsWith('severity='))) c.eq(r.continue, true, `severity route ${r.receiver} continues to the component routes`);
  if (r.matchers.some((m) => m.startsWith('component='))) {
    c.eq(r.group_wait, '5m', `component route ${r.receiver}: warnings wait 5m`);
    c.eq(r.routes?.[0]?.group_wait, '10s', `component route ${r.receiver}: critical alerts wait 10s`);
  }
}
c.eq(top[0].matchers, ['alertname="Watchdog"'], 'Watchdog is routed first');
c.eq(top[0].receiver, 'deadmans-switch', 'Watchdog goes to the dead-man\'s switch');
c.ok(!top[0].continue, 'Watchdog goes nowhere else');
const dms = prod.receivers.find((r) => r.name === 'deadmans-switch');
c.ok(dms?.webhook_configs?.length === 1, 'dead-man\'s switch is a webhook');
// A real heartbeat endpoint (not a placeholder host), its secret in a header read from the Secret.
const dmsUrl = new URL(dms?.webhook_configs?.[0]?.url || 'http://missing.invalid/');
c.eq(dmsUrl.protocol, 'https:', 'dead-man\'s switch over https');
c.ok(!/\.(invalid|example|test|localhost)$/.test(dmsUrl.hostname) && !/example\./.test(dmsUrl.hostname), `dead-man's switch host ${dmsUrl.hostname} is a real endpoint`);
c.ok(!dmsUrl.username && !dmsUrl.password && !dmsUrl.search, 'dead-man\'s switch URL carries no credentials');
c.eq(dms?.webhook_configs?.[0]?.http_config?.authorization?.credentials_file, '/etc/alertmanager/secrets/deadmans-switch-key',
  'dead-man\'s switch credentials read from the mounted Secret');
c.ok(!('credentials' in (dms?.webhook_configs?.[0]?.http_config?.authorization || {})), 'dead-man\'s switch: no inline credentials');

// --- Grouping: one incident, one notification ------------------------------------------------
for (const cfg of [prod, local]) {
  const gb = cfg.route.group_by || [];
  for (const l of ['alertname', 'cluster']) c.ok(gb.includes(l), `root group_by has ${l}`);
  for (const l of ['instance', 'pod', 'source_registry', 'dest_registry', 'job', '...']) c.ok(!gb.includes(l), `root group_by leaves out ${l}`);
  const walk = (r) => { for (const s of r.routes || []) { c.ok(!('group_by' in s), `route to ${s.receiver} keeps the root grouping`); walk(s); } };
  walk(cfg.route);
}

// --- Inhibitions ---------------------------------------------------------------------------------
// A matcher evaluator (Alertmanager semantics: regexes are anchored; a missing label is "").
function parseMatcher(s) {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(s);
  if (!m) throw new Error(`cannot parse matcher ${s}`);
  return { name: m[1], op: m[2], value: m[3].replace(/\\(.)/g, '$1') };
}
function matches(ms, labels) {
  return ms.map(parseMatcher).every(({ name, op, value }) => {
    const v = labels[name] ?? '';
    const re = new RegExp(`^(?:${value})$`);
    return { '=': v === value, '!=': v !== value, '=~': re.test(v), '!~': !re.test(v) }[op];
  });
}
for (const [i, r] of prod.inhibit_rules.entries()) {
  for (const k of ['source_match', 'source_match_re', 'target_match', 'target_match_re']) c.ok(!(k in r), `inhibit ${i}: deprecated ${k}`);
  c.ok(r.source_matchers?.length > 0 && r.target_matchers?.length > 0, `inhibit ${i}: both sides have matchers`);
  c.ok(r.equal?.includes('cluster'), `inhibit ${i}: equal has cluster (never across clusters)`);
  // Never silences the heartbeat, nor an alert of another component with other labels.
  c.ok(!matches(r.target_matchers, { alertname: 'Watchdog', severity: 'none', component: 'alerting' }), `inhibit ${i}: cannot silence Watchdog`);
  c.ok(!matches(r.target_matchers, { alertname: 'SomethingElse', severity: 'info', component: 'other' }), `inhibit ${i}: target is not match-everything`);
}
// Each spec inhibition exists, judged by behaviour on sample alerts.
const inhibits = (src, tgt) => prod.inhibit_rules.some((r) => matches(r.source_matchers, src) && matches(r.target_matchers, tgt) &&
  r.equal.every((l) => (src[l] ?? '') === (tgt[l] ?? '')));
const base = { cluster: 'prod-a', job: 'freightliner', instance: '10.0.0.1:2112' };
const other = { cluster: 'prod-b' }; // the same alert in another cluster
c.ok(inhibits({ ...base, alertname: 'ReplicationAvailabilityBudgetBurn', severity: 'critical' }, { ...base, alertname: 'ReplicationAvailabilityBudgetBurn', severity: 'warning' }), 'critical inhibits the warning of the same alertname and instance');
c.ok(!inhibits({ ...base, alertname: 'HighMemoryUsage', severity: 'critical' }, { ...base, alertname: 'WorkerPoolSaturated', severity: 'warning' }), 'critical does not inhibit a warning of another alertname');
c.ok(!inhibits({ ...base, alertname: 'HighMemoryUsage', severity: 'critical' }, { ...base, instance: '10.0.0.2:2112', alertname: 'HighMemoryUsage', severity: 'warning' }), 'critical does not inhibit the warning of another instance');
// FreightlinerDown (no replica of the cluster up) carries no instance; FreightlinerReplicaDown does.
const down = { cluster: 'prod-a', job: 'freightliner', alertname: 'FreightlinerDown', severity: 'critical', component: 'service' };
const replicaDown = { ...base, alertname: 'FreightlinerReplicaDown', severity: 'warning', component: 'service' };
c.ok(inhibits(down, replicaDown), 'FreightlinerDown inhibits FreightlinerReplicaDown in its cluster');
c.ok(inhibits(down, { ...base, instance: '10.0.0.2:2112', alertname: 'HighMemoryUsage', severity: 'critical' }), 'FreightlinerDown inhibits the alerts of every instance of its cluster');
c.ok(!inhibits(down, { cluster: 'prod-a', job: 'freightliner', alertname: 'HighHTTP5xxRate', severity: 'critical' }), 'FreightlinerDown does not inhibit cluster-wide alerts (no instance)');
c.ok(!inhibits(down, { ...replicaDown, ...other }), 'FreightlinerDown does not inhibit FreightlinerReplicaDown of another cluster');
c.ok(!inhibits(replicaDown, down), 'FreightlinerReplicaDown does not inhibit FreightlinerDown');
c.ok(inhibits(replicaDown, { ...base, alertname: 'HighMemoryUsage', severity: 'critical' }), 'FreightlinerReplicaDown inhibits other alerts of its instance');
c.ok(!inhibits(replicaDown, { ...base, instance: '10.0.0.2:2112', alertname: 'HighMemoryUsage', severity: 'critical' }), 'FreightlinerReplicaDown does not inhibit other instances');
c.ok(!inhibits(replicaDown, { ...replicaDown, instance: '10.0.0.2:2112' }), 'FreightlinerReplicaDown does not inhibit another replica\'s');
for (const t of ['HighReplicationFailureRate', 'HighReplicationDuration', 'ReplicationAvailabilityBudgetBurn', 'ReplicationLatencyBudgetBurn']) {
  c.ok(inhibits({ ...base, alertname: 'ReplicationStopped', severity: 'critical' }, { cluster: 'prod-a', job: 'freightliner', alertname: t, severity: 'critical', source_registry: 'a', dest_registry: 'b' }), `ReplicationStopped inhibits ${t}`);
}
c.ok(!inhibits({ ...base, alertname: 'ReplicationStopped', severity: 'critical' }, { cluster: 'prod-a', job: 'freightliner', alertname: 'HighHTTP5xxRate', severity: 'critical' }), 'ReplicationStopped does not inhibit API alerts');
// One SLO, one page: the burn-rate page silences the threshold alert of its SLO, not the reverse,
// not another SLO's, not from its ticket variant.
const burnPage = { cluster: 'prod-a', job: 'freightliner', alertname: 'ReplicationAvailabilityBudgetBurn', severity: 'critical', slo: 'replication-availability', burn_rate: '14.4', long_window: '1h' };
const burnTicket = { ...burnPage, severity: 'warning', burn_rate: '3', long_window: '1d' };
const failRate = { cluster: 'prod-a', job: 'freightliner', alertname: 'HighReplicationFailureRate', severity: 'critical', slo: 'replication-availability', source_registry: 'a', dest_registry: 'b' };
const http5xx = { cluster: 'prod-a', job: 'freightliner', alertname: 'HighHTTP5xxRate', severity: 'critical', slo: 'http-availability' };
c.ok(inhibits(burnPage, failRate), 'burn-rate page inhibits the threshold alert of its SLO');
c.ok(!inhibits(failRate, burnPage), 'the threshold alert does not inhibit the burn-rate page');
c.ok(!inhibits(burnPage, http5xx), 'burn-rate page does not inhibit another SLO\'s threshold alert');
c.ok(!inhibits(burnTicket, failRate), 'a burn-rate ticket does not inhibit the threshold page');
c.ok(inhibits({ ...http5xx, alertname: 'HTTPAvailabilityBudgetBurn', burn_rate: '6', long_window: '6h' }, http5xx), 'HTTP burn-rate page inhibits HighHTTP5xxRate');
// Never across clusters, whichever rule.
const crossPairs = [
  [down, { ...base, ...other, alertname: 'HighMemoryUsage', severity: 'critical' }],
  [replicaDown, { ...base, ...other, alertname: 'HighMemoryUsage', severity: 'critical' }],
  [{ ...base, alertname: 'HighMemoryUsage', severity: 'critical' }, { ...base, ...other, alertname: 'HighMemoryUsage', severity: 'warning' }],
  [{ ...base, alertname: 'ReplicationStopped', severity: 'critical' }, { ...failRate, ...other }],
  [burnPage, { ...failRate, ...other }],
];
for (const [src, tgt] of crossPairs) c.ok(!inhibits(src, tgt), `${src.alertname} in ${src.cluster} does not inhibit ${tgt.alertname} in ${tgt.cluster}`);
// No two alerts silence each other (Alertmanager would mute both: nobody is told).
const samples = [down, replicaDown, { ...base, alertname: 'HighMemoryUsage', severity: 'critical' },
  { ...base, alertname: 'ReplicationStopped', severity: 'critical' }, burnPage, burnTicket, failRate, http5xx,
  { ...http5xx, alertname: 'HTTPAvailabilityBudgetBurn', burn_rate: '14.4', long_window: '1h' },
  { ...base, alertname: 'HighReplicationDuration', severity: 'warning', slo: 'replication-latency' },
  { cluster: 'prod-a', job: 'freightliner', alertname: 'ReplicationLatencyBudgetBurn', severity: 'critical', slo: 'replication-latency', burn_rate: '14.4' }];
for (const a of samples) for (const b of samples) {
  if (a !== b) c.ok(!(inhibits(a, b) && inhibits(b, a)), `${a.alertname}/${a.severity} and ${b.alertname}/${b.severity} do not inhibit each other`);
}

// --- Route test cases ------------------------------------------------------------------------------
const CHANNEL = {
  replication: 'slack-replication', worker: 'slack-replication', scheduler: 'slack-replication',
  api: 'slack-api', auth: 'slack-api', service: 'slack-platform', runtime: 'slack-platform', alerting: 'slack-platform',
};
const SEVERITY = { critical: ['pagerduty-critical', 'slack-critical'], warning: ['slack-warning'] };
const expected = (labels) => {
  if (labels.alertname === 'Watchdog') return ['deadmans-switch'];
  const r = [...(SEVERITY[labels.severity] || [])];
  if (CHANNEL[labels.component]) r.push(CHANNEL[labels.component]);
  return r.length ? r : ['slack-default'];
};
const cases = [];
for (const sev of ['critical', 'warning']) for (const comp of Object.keys(CHANNEL)) cases.push({ alertname: 'Probe', severity: sev, component: comp });
cases.push({ alertname: 'Probe', severity: 'critical', component: 'unknown' });
cases.push({ alertname: 'Probe', severity: 'info', component: 'unknown' });
cases.push({ alertname: 'Probe', severity: 'info', component: 'api' });
for (const a of alertRules()) {
  const comps = a.labels.component.includes('{{') ? ['worker', 'api', 'scheduler'] : [a.labels.component];
  for (const comp of comps) {
    const labels = { alertname: a.alert, severity: a.labels.severity, component: comp };
    c.ok(a.alert === 'Watchdog' || CHANNEL[comp], `alert ${a.alert}: component '${comp}' has a team channel`);
    cases.push(labels);
  }
}
const seen = new Set();
const lines = [];
for (const l of cases) {
  const line = `${expected(l).join(',')}\t${Object.entries(l).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  if (!seen.has(line)) { seen.add(line); lines.push(line); }
}
process.stderr.write('');
c.done();
// The cases go to stdout after the verdict line, marked, for the shell script.
for (const l of lines) console.log(`CASE\t${l}`);
