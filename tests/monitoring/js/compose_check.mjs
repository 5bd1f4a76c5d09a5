// docker-compose.yml runs the local configuration files unchanged: mounts exist and land where the
// configurations look, listen addresses are the ports the local files name, images match the
// Kubernetes manifests, and freightliner runs `serve` as in deploy/.
import fs from 'node:fs';
import path from 'node:path';
import { Checker, MON, REPO, loadYaml, loadYamlAll } from './common.mjs';

const c = new Checker('compose_check');
const dc = loadYaml(path.join(REPO, 'docker-compose.yml'));
const s = dc.services;
c.eq(Object.keys(s).sort(), ['alertmanager', 'freightliner', 'grafana', 'notification-sink', 'prometheus'], 'services');
for (const [name, svc] of Object.entries(s)) {
  c.eq(svc.network_mode, 'host', `${name}: host network (the local files name 127.0.0.1)`);
  for (const v of svc.volumes || []) {
    const [src] = v.split(':');
    if (src.startsWith('./')) c.ok(fs.existsSync(path.join(REPO, src)), `${name}: mount source ${src} exists`);
    else c.ok(dc.volumes && src in dc.volumes, `${name}: named volume ${src} is declared`);
  }
}
const mountTarget = (svc, src) => (svc.volumes || []).map((v) => v.split(':')).find(([a]) => a === src)?.[1];
const arg = (svc, flag) => (svc.command || []).find((a) => a.startsWith(`${flag}=`))?.split('=').slice(1).join('=');

// Prometheus: prometheus-local.yml with its rule files beside it, on 9090.
const promLocal = loadYaml(path.join(MON, 'prometheus/prometheus-local.yml'));
const promDir = mountTarget(s.prometheus, './monitoring/prometheus');
c.eq(arg(s.prometheus, '--config.file'), `${promDir}/prometheus-local.yml`, 'prometheus runs prometheus-local.yml from the mount');
for (const rf of promLocal.rule_files) c.ok(fs.existsSync(path.join(MON, 'prometheus', rf)), `prometheus: rule file ${rf} is beside the config`);
const target = (job) => promLocal.scrape_configs.find((j) => j.job_name === job).static_configs[0].targets[0];
c.eq(arg(s.prometheus, '--web.listen-address'), target('prometheus'), 'prometheus listens where prometheus-local.yml scrapes it');
for (const a of ['--storage.tsdb.retention.time=30d', '--storage.tsdb.retention.size=90GB', '--web.enable-lifecycle']) c.ok(s.prometheus.command.includes(a), `prometheus: ${a}`);
// Alertmanager: alertmanager-local.yml with templates/ beside it, on 9093.
const amDir = mountTarget(s.alertmanager, './monitoring/alertmanager');
c.eq(arg(s.alertmanager, '--config.file'), `${amDir}/alertmanager-local.yml`, 'alertmanager runs alertmanager-local.yml from the mount');
c.eq(arg(s.alertmanager, '--web.listen-address'), promLocal.alerting.alertmanagers[0].static_configs[0].targets[0], 'alertmanager listens where Prometheus sends alerts');
c.eq(arg(s.alertmanager, '--web.listen-address'), target('alertmanager'), 'alertmanager listens where Prometheus scrapes it');
// Sink on the port alertmanager-local.yml sends to.
const sinkPort = /127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(path.join(MON, 'alertmanager/alertmanager-local.yml'), 'utf8').split('receivers:')[1])[1];
const sc = s['notification-sink'].command;
c.eq(sc[sc.indexOf('--port') + 1], sinkPort, 'notification sink listens where alertmanager-local.yml sends');
c.eq(mountTarget(s['notification-sink'], './monitoring/alertmanager/notification-sink.mjs'), sc[1], 'notification sink runs the mounted script');
// Grafana: provisioning and dashboards where the env vars point, on 3000.
const env = s.grafana.environment;
c.eq(`127.0.0.1:${env.GF_SERVER_HTTP_PORT}`, target('grafana'), 'grafana listens where Prometheus scrapes it');
c.eq(env.FREIGHTLINER_PROMETHEUS_URL, `http://${target('prometheus')}`, 'grafana datasource URL is Prometheus');
c.eq(mountTarget(s.grafana, './monitoring/grafana/provisioning/datasources'), `${env.GF_PATHS_PROVISIONING}/datasources`, 'grafana datasource provisioning mounted');
c.eq(mountTarget(s.grafana, './monitoring/grafana/provisioning/dashboards'), `${env.GF_PATHS_PROVISIONING}/dashboards`, 'grafana dashboard provisioning mounted');
c.eq(mountTarget(s.grafana, './monitoring/grafana/dashboards'), env.FREIGHTLINER_DASHBOARDS_DIR, 'grafana dashboards mounted where the provider looks');
// Freightliner: serve with the metrics port Prometheus scrapes, as deploy/ runs it.
const dep = loadYamlAll(path.join(REPO, 'deploy/base/deployment.yaml')).find((o) => o.kind === 'Deployment');
c.eq(s.freightliner.command, dep.spec.template.spec.containers[0].args, 'freightliner runs serve with the same arguments as deploy/');
c.ok(s.freightliner.command.some((a) => a.endsWith(`:${target('freightliner').split(':')[1]}`) && a.startsWith('--metrics-addr')), 'freightliner metrics port is the one Prometheus scrapes');
c.eq(s.freightliner.build?.dockerfile, 'deploy/Dockerfile', 'freightliner image built from deploy/Dockerfile');
c.ok(fs.existsSync(path.join(REPO, 'deploy/Dockerfile')), 'deploy/Dockerfile exists');
// Same images as the Kubernetes manifests.
const k8sImages = ['prometheus-deployment.yaml', 'alertmanager-deployment.yaml', 'grafana-deployment.yaml'].flatMap((f) =>
  loadYamlAll(path.join(MON, 'kubernetes', f)).filter((o) => o.spec?.template).flatMap((o) => o.spec.template.spec.containers.map((ct) => ct.image)));
for (const name of ['prometheus', 'alertmanager', 'grafana']) c.ok(k8sImages.includes(s[name].image), `${name}: image ${s[name].image} as in the Kubernetes manifests`);
c.done();
