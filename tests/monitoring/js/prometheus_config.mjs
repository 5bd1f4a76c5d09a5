// Checks monitoring/prometheus/prometheus.yml and prometheus-local.yml beyond what promtool can:
// Debian's promtool has no Kubernetes discovery, so this script checks the kubernetes_sd_configs
// blocks field by field and writes a copy of prometheus.yml with each of them swapped for a
// file_sd_configs block (same relabeling), for `promtool check config` and for the live discovery
// test. Usage: node prometheus_config.mjs OUT_DIR
// Writes OUT_DIR/prometheus-k8s.yml (rule files copied beside it), OUT_DIR/sd-<job>.json (empty)
// and OUT_DIR/prometheus-discovery.yml (the freightliner job alone, for prometheus_discovery.sh).
import fs from 'node:fs';
import path from 'node:path';
import { Checker, MON, loadYaml, readText, YAML } from './common.mjs';

const out = process.argv[2];
if (!out) throw new Error('usage: prometheus_config.mjs OUT_DIR');
const c = new Checker('prometheus_config');
const k8sPath = path.join(MON, 'prometheus/prometheus.yml');
const localPath = path.join(MON, 'prometheus/prometheus-local.yml');
const k8s = loadYaml(k8sPath);
const local = loadYaml(localPath);

// --- Kubernetes discovery blocks --------------------------------------------------------------
// Fields of kubernetes_sd_configs (Prometheus 2.42 and 3.x), including the HTTP client ones.
const SD_FIELDS = new Set([
  'role', 'namespaces', 'selectors', 'api_server', 'kubeconfig_file', 'attach_metadata',
  'basic_auth', 'authorization', 'oauth2', 'bearer_token', 'bearer_token_file', 'tls_config',
  'proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header', 'follow_redirects',
  'enable_http2',
]);
const ROLES = new Set(['node', 'service', 'pod', 'endpoints', 'endpointslice', 'ingress']);
let sdCount = 0;
for (const sc of k8s.scrape_configs) {
  for (const sd of sc.kubernetes_sd_configs || []) {
    sdCount++;
    for (const k of Object.keys(sd)) c.ok(SD_FIELDS.has(k), `${sc.job_name}: unknown kubernetes_sd_configs field '${k}'`);
    c.ok(ROLES.has(sd.role), `${sc.job_name}: kubernetes_sd role '${sd.role}'`);
    if (sd.namespaces) {
      for (const k of Object.keys(sd.namespaces)) c.ok(['names', 'own_namespace'].includes(k), `${sc.job_name}: unknown namespaces field '${k}'`);
      c.ok(Array.isArray(sd.namespaces.names), `${sc.job_name}: namespaces.names is a list`);
    }
    c.ok(!sd.api_server && !sd.kubeconfig_file, `${sc.job_name}: in-cluster discovery (no api_server/kubeconfig)`);
  }
}
const fl = k8s.scrape_configs.find((s) => s.job_name === 'freightliner');
c.ok(fl, 'prometheus.yml has the job `freightliner`');
c.eq(fl?.kubernetes_sd_configs?.[0]?.role, 'pod', 'freightliner job discovers pods');
c.eq(fl?.kubernetes_sd_configs?.[0]?.namespaces?.names, ['freightliner'], 'freightliner job discovers only namespace freightliner');
c.ok(sdCount >= 1, 'prometheus.yml uses Kubernetes discovery');
c.ok((fl?.relabel_configs || []).some((r) => r.action === 'drop' && /prometheus/.test(r.regex || '')),
  'freightliner job drops Prometheus pods explicitly');

// --- Both files: intervals, jobs, rule files, alerting, external labels ---------------------
for (const [name, cfg] of [['prometheus.yml', k8s], ['prometheus-local.yml', local]]) {
  c.eq(cfg.global?.scrape_interval, '15s', `${name}: scrape_interval`);
  c.eq(cfg.global?.evaluation_interval, '15s', `${name}: evaluation_interval`);
  c.ok(cfg.global?.external_labels && Object.keys(cfg.global.external_labels).length > 0, `${name}: external_labels`);
  c.eq(cfg.scrape_configs.map((s) => s.job_name).sort(), ['alertmanager', 'freightliner', 'grafana', 'prometheus'], `${name}: jobs`);
  c.eq((cfg.rule_files || []).map((f) => path.basename(f)), ['recording-rules.yml', 'alert-rules.yml'], `${name}: rule_files`);
  c.ok(cfg.alerting?.alertmanagers?.length >= 1, `${name}: sends alerts to Alertmanager`);
  const f = cfg.scrape_configs.find((s) => s.job_name === 'freightliner');
  c.eq(f?.metrics_path ?? '/metrics', '/metrics', `${name}: freightliner metrics path`);
}
// Every alert and series says its cluster; HA replicas differ by `replica`, which alerts drop so
// that Alertmanager deduplicates the replicas' alerts.
c.eq(k8s.global.external_labels.cluster, 'production', 'prometheus.yml: external label cluster');
c.eq(local.global.external_labels.cluster, 'local', 'prometheus-local.yml: external label cluster');
c.eq(k8s.global.external_labels.replica, '${POD_NAME}', 'prometheus.yml: external label replica (the pod name)');
c.ok(!('replica' in local.global.external_labels), 'prometheus-local.yml: one Prometheus, no replica label');
c.ok((k8s.alerting.alert_relabel_configs || []).some((r) => r.action === 'labeldrop' && new RegExp(`^(?:${r.regex})$`).test('replica') &&
  !new RegExp(`^(?:${r.regex})$`).test('cluster')), 'prometheus.yml: alert_relabel_configs drops replica (and keeps cluster)');
// The alerting path is watched: both configurations scrape Prometheus itself and Alertmanager, at
// the addresses they send alerts to.
for (const [name, cfg] of [['prometheus.yml', k8s], ['prometheus-local.yml', local]]) {
  const job = (j) => cfg.scrape_configs.find((s) => s.job_name === j);
  c.ok(job('prometheus') && job('alertmanager'), `${name}: scrapes prometheus and alertmanager`);
  c.eq(JSON.stringify(job('alertmanager')?.static_configs || job('alertmanager')?.dns_sd_configs),
    JSON.stringify(cfg.alerting.alertmanagers[0].static_configs || cfg.alerting.alertmanagers[0].dns_sd_configs),
    `${name}: the alertmanager job scrapes the Alertmanagers alerts are sent to`);
}
c.eq(k8s.rule_files, ['/etc/prometheus/recording-rules.yml', '/etc/prometheus/alert-rules.yml'],
  'prometheus.yml: rule_files where the StatefulSet mounts prometheus-config');
const localFl = local.scrape_configs.find((s) => s.job_name === 'freightliner');
c.eq(localFl?.static_configs?.[0]?.targets, ['127.0.0.1:2112'], 'prometheus-local.yml: freightliner on 127.0.0.1:2112');
for (const s of local.scrape_configs) {
  for (const sc of s.static_configs || []) for (const t of sc.targets) c.ok(/^127\.0\.0\.1:\d+$/.test(t), `prometheus-local.yml: ${s.job_name} target ${t} is loopback`);
}
c.ok(/^# remote_write:\n(#.*\n)+/m.test(readText(k8sPath)), 'prometheus.yml: commented remote_write example');

// --- The swapped copy ---------------------------------------------------------------------------
fs.mkdirSync(out, { recursive: true });
const swapped = structuredClone(k8s);
for (const sc of swapped.scrape_configs) {
  if (sc.kubernetes_sd_configs) {
    const file = path.join(out, `sd-${sc.job_name}.json`);
    fs.writeFileSync(file, '[]\n');
    delete sc.kubernetes_sd_configs;
    sc.file_sd_configs = [{ files: [file], refresh_interval: '5s' }];
  }
}
swapped.rule_files = swapped.rule_files.map((f) => path.join(out, path.basename(f)));
for (const f of ['recording-rules.yml', 'alert-rules.yml']) fs.copyFileSync(path.join(MON, 'prometheus', f), path.join(out, f));
fs.writeFileSync(path.join(out, 'prometheus-k8s.yml'), YAML.stringify(swapped));
// For the live discovery test: only the freightliner job, nothing that would resolve cluster DNS.
const discovery = structuredClone(swapped);
discovery.scrape_configs = discovery.scrape_configs.filter((s) => s.job_name === 'freightliner');
delete discovery.alerting;
delete discovery.rule_files;
fs.writeFileSync(path.join(out, 'prometheus-discovery.yml'), YAML.stringify(discovery));
c.done();
