// What the Kubernetes manifests must mean, beyond their schemas (k8s-validate/validate.mjs):
// the generated ConfigMaps hold the real files byte for byte and are mounted where the configs
// look (rule_files, templates, *_file secrets, Grafana provisioning); Prometheus' storage,
// retention and RBAC; Alertmanager's clustering and PDB; Grafana's credentials; non-root pods with
// probes and resources; Services that select pods and name existing ports; NetworkPolicies that
// let Prometheus scrape; the freightliner Deployment that Prometheus' relabeling keeps, with a
// memory limit above the alert threshold; the Prometheus Operator path (monitoring/operator/): the
// ServiceMonitor that selects its Service, the PrometheusRule holding exactly the rule files' groups,
// and one sidecar-labelled ConfigMap per dashboard holding the dashboard byte for byte.
// Usage: node k8s_check.mjs MONITORING_BUILD.yaml DEPLOY_BUILD.yaml OPERATOR_BUILD.yaml
import fs from 'node:fs';
import path from 'node:path';
import { Checker, MON, REPO, loadYaml, loadYamlAll, canonical } from './common.mjs';

const [monFile, depFile, opFile, clusterFile] = process.argv.slice(2);
const c = new Checker('k8s_check');
const mon = loadYamlAll(monFile);
const dep = loadYamlAll(depFile);
const all = [...mon, ...dep];
const get = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const getPrefix = (objs, kind, prefix) => objs.filter((o) => o.kind === kind && (o.metadata.name === prefix || o.metadata.name.startsWith(prefix + '-')));

// ---- Generated ConfigMaps: the real files, byte for byte ------------------------------------------
const GENERATED = {
  'prometheus-config': { 'prometheus.yml': 'prometheus/prometheus.yml', 'recording-rules.yml': 'prometheus/recording-rules.yml', 'alert-rules.yml': 'prometheus/alert-rules.yml' },
  'alertmanager-config': { 'alertmanager.yml': 'alertmanager/alertmanager.yml' },
  'alertmanager-templates': { 'freightliner.tmpl': 'alertmanager/templates/freightliner.tmpl' },
  'grafana-datasources': { 'prometheus.yml': 'grafana/provisioning/datasources/prometheus.yml' },
  'grafana-dashboard-providers': { 'freightliner.yml': 'grafana/provisioning/dashboards/freightliner.yml' },
  'grafana-dashboards': Object.fromEntries(fs.readdirSync(path.join(MON, 'grafana/dashboards')).map((f) => [f, `grafana/dashboards/${f}`])),
};
const cmName = {};
for (const [name, files] of Object.entries(GENERATED)) {
  const cms = getPrefix(mon, 'ConfigMap', name);
  if (!c.eq(cms.length, 1, `one generated ConfigMap ${name}`)) continue;
  const cm = cms[0];
  cmName[name] = cm.metadata.name;
  c.ok(/^.+-[a-z0-9]{10}$/.test(cm.metadata.name), `${name}: name carries a content hash (${cm.metadata.name})`);
  c.eq(cm.metadata.namespace, 'monitoring', `${name}: namespace`);
  c.eq(Object.keys(cm.data || {}).sort(), Object.keys(files).sort(), `${name}: keys`);
  for (const [key, rel] of Object.entries(files)) {
    c.ok(cm.data?.[key] === fs.readFileSync(path.join(MON, rel), 'utf8'), `${name}/${key} is monitoring/${rel} byte for byte`);
  }
  // `kubectl apply` stores the whole object in an annotation limited to 256 KiB.
  const size = Object.values(cm.data || {}).reduce((s, v) => s + Buffer.byteLength(v), 0);
  c.ok(size < 200 * 1024, `${name}: ${size} bytes, small enough for client-side kubectl apply`);
}
// No ConfigMap other than the generated ones (no placeholders written by hand).
for (const cm of mon.filter((o) => o.kind === 'ConfigMap')) c.ok(Object.values(cmName).includes(cm.metadata.name), `ConfigMap ${cm.metadata.name} is generated from a real file`);

// ---- Pod-level rules for every workload ----------------------------------------------------------
const workloads = all.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
c.eq(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort(), ['Deployment/freightliner', 'Deployment/grafana', 'StatefulSet/alertmanager', 'StatefulSet/prometheus'], 'workloads');
const mountOf = (w, volName) => w.spec.template.spec.containers[0].volumeMounts.find((m) => m.name === volName);
const volumeFor = (w, pred) => (w.spec.template.spec.volumes || []).find(pred);
for (const w of workloads) {
  const id = `${w.kind}/${w.metadata.name}`;
  const ps = w.spec.template.spec;
  c.eq([ps.securityContext?.runAsNonRoot, ps.securityContext?.seccompProfile?.type], [true, 'RuntimeDefault'], `${id}: pod runs as non-root with RuntimeDefault seccomp`);
  c.ok(ps.securityContext?.runAsUser > 0, `${id}: explicit non-root uid`);
  const labels = w.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(w.spec.selector.matchLabels)) c.eq(labels[k], v, `${id}: selector matches the pod template`);
  for (const ct of ps.containers) {
    const cid = `${id} container ${ct.name}`;
    c.eq([ct.securityContext?.allowPrivilegeEscalation, ct.securityContext?.readOnlyRootFilesystem, ct.securityContext?.capabilities?.drop],
      [false, true, ['ALL']], `${cid}: no privilege escalation, read-only root, no capabilities`);
    c.ok(ct.readinessProbe && ct.livenessProbe, `${cid}: readiness and liveness probes`);
    c.ok(ct.resources?.requests?.cpu && ct.resources?.requests?.memory && ct.resources?.limits?.memory, `${cid}: resource requests and memory limit`);
    c.ok(/:[\w.-]+$/.test(ct.image) && !ct.image.endsWith(':latest'), `${cid}: image pinned to a version (${ct.image})`);
    const portNames = new Set((ct.ports || []).map((p) => p.name));
    for (const pr of [ct.readinessProbe, ct.livenessProbe, ct.startupProbe].filter(Boolean)) {
      if (pr.httpGet) c.ok(portNames.has(pr.httpGet.port), `${cid}: probe port ${pr.httpGet.port} is a named container port`);
    }
    const claims = (w.spec.volumeClaimTemplates || []).map((v) => v.metadata.name);
    for (const m of ct.volumeMounts || []) c.ok(ps.volumes.some((v) => v.name === m.name) || claims.includes(m.name), `${cid}: mount ${m.name} has a volume`);
  }
  for (const v of ps.volumes || []) {
    if (v.configMap) c.ok(Object.values(cmName).includes(v.configMap.name), `${id}: volume ${v.name} mounts a generated ConfigMap (${v.configMap.name})`);
  }
}

// ---- Services select pods and name their ports ----------------------------------------------------
for (const s of all.filter((o) => o.kind === 'Service')) {
  const id = `Service/${s.metadata.name}`;
  const targets = workloads.filter((w) => w.metadata.namespace === s.metadata.namespace &&
    Object.entries(s.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
  if (!c.eq(targets.length, 1, `${id}: selects one workload`)) continue;
  const names = new Set(targets[0].spec.template.spec.containers.flatMap((ct) => (ct.ports || []).map((p) => p.name)));
  for (const p of s.spec.ports) c.ok(names.has(p.targetPort), `${id}: port ${p.name} targets named container port ${p.targetPort}`);
}

// ---- Prometheus ---------------------------------------------------------------------------------------
const prom = get(mon, 'StatefulSet', 'prometheus');
const promC = prom.spec.template.spec.containers[0];
for (const a of ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=30d', '--storage.tsdb.retention.size=90GB', '--web.enable-lifecycle']) {
  c.ok(promC.args.includes(a), `prometheus: ${a}`);
}
const vct = prom.spec.volumeClaimTemplates?.[0];
c.eq(vct?.spec?.resources?.requests?.storage, '100Gi', 'prometheus: 100Gi volume');
c.eq(mountOf(prom, vct?.metadata?.name)?.mountPath, '/prometheus', 'prometheus: volume mounted at the TSDB path');
const promCfgVol = volumeFor(prom, (v) => v.configMap?.name === cmName['prometheus-config']);
const promCfgMount = promCfgVol && mountOf(prom, promCfgVol.name)?.mountPath;
c.eq(promCfgMount, '/etc/prometheus', 'prometheus: prometheus-config mounted at /etc/prometheus');
const promYml = loadYaml(path.join(MON, 'prometheus/prometheus.yml'));
for (const rf of promYml.rule_files) {
  c.ok(path.dirname(rf) === promCfgMount && GENERATED['prometheus-config'][path.basename(rf)], `rule_files entry ${rf} is a file of the mounted prometheus-config`);
}
c.ok(promC.args.includes(`--config.file=${promCfgMount}/prometheus.yml`), 'prometheus: --config.file inside the mount');
// HA: the replica external label comes from the pod name.
c.eq(promYml.global.external_labels.replica, '${POD_NAME}', 'prometheus.yml: external label replica from $POD_NAME');
c.ok(promC.args.includes('--enable-feature=expand-external-labels'), 'prometheus: expands ${POD_NAME} in external labels');
c.eq((promC.env || []).find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'prometheus: POD_NAME is the pod name');
const sa = prom.spec.template.spec.serviceAccountName;
c.ok(get(mon, 'ServiceAccount', sa), `prometheus: ServiceAccount ${sa} exists`);
const rb = all.find((o) => o.kind === 'RoleBinding' && o.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === 'monitoring'));
c.eq(rb?.metadata?.namespace, 'freightliner', 'prometheus: bound to a Role in the namespace it discovers');
const role = rb && get(all, rb.roleRef.kind, rb.roleRef.name);
c.ok(role && role.metadata.namespace === 'freightliner' && role.rules.some((r) => r.resources.includes('pods') && ['get', 'list', 'watch'].every((v) => r.verbs.includes(v))),
  'prometheus: the Role lets it get, list and watch pods');
const discNs = promYml.scrape_configs.flatMap((s) => (s.kubernetes_sd_configs || []).flatMap((k) => k.namespaces?.names || []));
for (const ns of discNs) c.ok(all.some((o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns && o.subjects.some((s) => s.name === sa)), `prometheus: RBAC for discovered namespace ${ns}`);
c.eq(get(mon, 'Service', 'prometheus')?.spec?.ports?.[0]?.port, 9090, 'Service prometheus on 9090 (kubectl port-forward svc/prometheus 9090:9090)');

// ---- Alertmanager ---------------------------------------------------------------------------------------
const am = get(mon, 'StatefulSet', 'alertmanager');
const amC = am.spec.template.spec.containers[0];
c.eq(am.spec.replicas, 3, 'alertmanager: three replicas');
const amSvc = get(mon, 'Service', am.spec.serviceName);
c.eq([amSvc?.spec?.clusterIP, amSvc?.spec?.publishNotReadyAddresses], ['None', true], 'alertmanager: headless governing Service publishing not-ready peers');
for (let i = 0; i < 3; i++) c.ok(amC.args.includes(`--cluster.peer=alertmanager-${i}.${am.spec.serviceName}:9094`), `alertmanager: peer ${i}`);
c.ok(amC.args.includes('--cluster.listen-address=0.0.0.0:9094'), 'alertmanager: cluster listener');
const pdb = all.find((o) => o.kind === 'PodDisruptionBudget' && Object.entries(o.spec.selector.matchLabels).every(([k, v]) => am.spec.template.metadata.labels[k] === v));
c.ok(pdb && (pdb.spec.minAvailable >= 2 || pdb.spec.maxUnavailable === 1), 'alertmanager: PodDisruptionBudget keeps a quorum');
const amYml = loadYaml(path.join(MON, 'alertmanager/alertmanager.yml'));
const amCfgVol = volumeFor(am, (v) => v.configMap?.name === cmName['alertmanager-config']);
c.ok(amC.args.includes(`--config.file=${mountOf(am, amCfgVol?.name)?.mountPath}/alertmanager.yml`), 'alertmanager: --config.file inside the alertmanager-config mount');
const tmplVol = volumeFor(am, (v) => v.configMap?.name === cmName['alertmanager-templates']);
for (const t of amYml.templates) c.eq(path.dirname(t), mountOf(am, tmplVol?.name)?.mountPath, `alertmanager: templates ${t} are in the mounted alertmanager-templates`);
const secVol = volumeFor(am, (v) => v.secret?.secretName === 'alertmanager-secrets');
const secMount = secVol && mountOf(am, secVol.name)?.mountPath;
c.eq(secMount, '/etc/alertmanager/secrets', 'alertmanager: Secret alertmanager-secrets mounted');
const fileRefs = JSON.stringify(amYml).match(/"\w+_file":"[^"]+"/g) || [];
c.ok(fileRefs.length >= 2, 'alertmanager.yml reads secrets from files');
for (const ref of fileRefs) {
  const p = ref.split('":"')[1].slice(0, -1);
  c.eq(path.dirname(p), secMount, `alertmanager.yml ${ref} is in the mounted Secret`);
  c.ok(['slack-webhook', 'pagerduty-key', 'deadmans-switch-key'].includes(path.basename(p)), `alertmanager.yml ${ref} is a key of alertmanager-secrets (slack-webhook, pagerduty-key, deadmans-switch-key)`);
}

// ---- Grafana ----------------------------------------------------------------------------------------------
const gf = get(mon, 'Deployment', 'grafana');
const gfC = gf.spec.template.spec.containers[0];
const env = Object.fromEntries(gfC.env.map((e) => [e.name, e]));
c.eq(env.GF_SECURITY_ADMIN_USER?.valueFrom?.secretKeyRef, { name: 'grafana-admin', key: 'username' }, 'grafana: admin user from Secret grafana-admin');
c.eq(env.GF_SECURITY_ADMIN_PASSWORD?.valueFrom?.secretKeyRef, { name: 'grafana-admin', key: 'password' }, 'grafana: admin password from Secret grafana-admin');
c.eq(env.FREIGHTLINER_PROMETHEUS_URL?.value, 'http://prometheus.monitoring.svc:9090', 'grafana: datasource URL is the prometheus Service');
const prov = env.GF_PATHS_PROVISIONING?.value;
const gmount = (cm) => mountOf(gf, volumeFor(gf, (v) => v.configMap?.name === cmName[cm])?.name)?.mountPath;
c.eq(gmount('grafana-datasources'), `${prov}/datasources`, 'grafana: datasource provisioning mounted');
c.eq(gmount('grafana-dashboard-providers'), `${prov}/dashboards`, 'grafana: dashboard provisioning mounted');
c.eq(gmount('grafana-dashboards'), env.FREIGHTLINER_DASHBOARDS_DIR?.value, 'grafana: dashboards mounted where the provider looks');
c.eq(get(mon, 'Service', 'grafana')?.spec?.ports?.[0]?.port, 3000, 'Service grafana on 3000');

// ---- NetworkPolicies ------------------------------------------------------------------------------------------
for (const w of workloads) {
  const pol = all.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === w.metadata.namespace &&
    Object.entries(o.spec.podSelector.matchLabels || {}).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
  c.ok(pol.length >= 1, `${w.kind}/${w.metadata.name}: a NetworkPolicy covers it`);
}
const flPol = get(dep, 'NetworkPolicy', 'freightliner');
const scrapeRule = flPol?.spec?.ingress?.find((r) => r.ports?.some((p) => p.port === 2112));
c.ok(scrapeRule?.from?.some((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring' &&
  Object.entries(f.podSelector?.matchLabels || {}).every(([k, v]) => prom.spec.template.metadata.labels[k] === v)), 'freightliner NetworkPolicy lets the Prometheus pods scrape :2112');

// ---- deploy/: the service itself ----------------------------------------------------------------------------------
const fl = get(dep, 'Deployment', 'freightliner');
c.eq(fl?.metadata?.namespace, 'freightliner', 'freightliner: namespace');
c.ok(get(dep, 'Namespace', 'freightliner'), 'deploy/ creates the namespace freightliner');
const flC = fl.spec.template.spec.containers[0];
const ports = Object.fromEntries(flC.ports.map((p) => [p.name, p.containerPort]));
c.eq(ports, { http: 8080, metrics: 2112 }, 'freightliner: ports http 8080 and metrics 2112');
c.eq([flC.readinessProbe?.httpGet?.path, flC.readinessProbe?.httpGet?.port], ['/ready', 'http'], 'freightliner: readiness on GET /ready');
c.eq([flC.livenessProbe?.httpGet?.path, flC.livenessProbe?.httpGet?.port], ['/health', 'http'], 'freightliner: liveness on GET /health');
const ann = fl.spec.template.metadata.annotations || {};
c.eq([ann['prometheus.io/scrape'], ann['prometheus.io/port']], ['true', '2112'], 'freightliner: scrape annotations');
c.ok(flC.args.includes('serve') && flC.args.includes('--metrics-addr=0.0.0.0:2112') && flC.args.includes('--api-addr=0.0.0.0:8080'), 'freightliner: serve on the named ports');
const toBytes = (q) => { const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q)); const mult = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }; return m ? Number(m[1]) * (mult[m[2]] || 1) : NaN; };
const limit = toBytes(flC.resources.limits.memory);
const rules = loadYaml(path.join(MON, 'prometheus/alert-rules.yml'));
const memAlert = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'HighMemoryUsage');
const thr = /> ([\d\s*]+)$/.exec(memAlert.expr.trim())?.[1].split('*').map(Number).reduce((a, b) => a * b, 1);
c.ok(thr > 0 && limit >= thr * 1.25, `freightliner: memory limit ${flC.resources.limits.memory} sits well above the HighMemoryUsage threshold (${thr} bytes)`);
// The relabeling of the freightliner job keeps this pod: opted in by annotation or by the port name.
c.ok(ann['prometheus.io/scrape'] === 'true' || ports.metrics, 'freightliner pod opts in to scraping');
const flSvc = get(dep, 'Service', 'freightliner');
c.eq(Object.fromEntries(flSvc.spec.ports.map((p) => [p.name, p.port])), { http: 8080, metrics: 2112 }, 'Service freightliner: http 8080, metrics 2112');

// ---- Prometheus Operator path: kubectl kustomize monitoring/operator/ -----------------------------------------------
const op = loadYamlAll(opFile);
c.eq(op.map((o) => o.kind).sort(), ['ConfigMap', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'PrometheusRule', 'ServiceMonitor'], 'monitoring/operator/: ServiceMonitor, PrometheusRule, one ConfigMap per dashboard');
const sm = op.find((o) => o.kind === 'ServiceMonitor');
c.eq([sm?.metadata?.name, sm?.metadata?.namespace], ['freightliner', 'freightliner'], 'ServiceMonitor freightliner/freightliner');
c.ok(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => flSvc.metadata.labels[k] === v), 'ServiceMonitor selects the Service freightliner');
c.ok(sm.spec.namespaceSelector.matchNames.includes(flSvc.metadata.namespace), 'ServiceMonitor looks in its namespace');
c.ok(sm.spec.endpoints.every((e) => flSvc.spec.ports.some((p) => p.name === e.port)), 'ServiceMonitor endpoints name Service ports');
c.eq(sm.spec.endpoints[0].port, 'metrics', 'ServiceMonitor scrapes the metrics port');
c.eq(sm.spec.endpoints[0].interval, promYml.global.scrape_interval, 'ServiceMonitor interval matches prometheus.yml');
// The PrometheusRule: the rule files' groups (recording, then alerts), nothing more or less.
const pr = op.find((o) => o.kind === 'PrometheusRule');
c.eq(pr?.apiVersion, 'monitoring.coreos.com/v1', 'PrometheusRule apiVersion');
c.eq([pr?.metadata?.name, pr?.metadata?.namespace], ['freightliner', 'monitoring'], 'PrometheusRule monitoring/freightliner');
c.eq(pr?.metadata?.labels, { 'app.kubernetes.io/name': 'freightliner', 'app.kubernetes.io/part-of': 'freightliner-monitoring', prometheus: 'k8s', role: 'alert-rules' },
  'PrometheusRule labels (kube-prometheus ruleSelector)');
const fileGroups = ['recording-rules.yml', 'alert-rules.yml'].flatMap((f) => loadYaml(path.join(MON, 'prometheus', f)).groups);
c.ok(canonical(pr?.spec?.groups ?? null) === canonical(fileGroups),
  `PrometheusRule spec.groups equal the groups of recording-rules.yml and alert-rules.yml (${fileGroups.length} groups)`);
c.eq(Object.keys(pr?.spec || {}), ['groups'], 'PrometheusRule spec has only groups');
// Dashboards for Grafana's sidecar: label grafana_dashboard "1", one per file, the file byte for byte,
// fixed names (a hash suffix would leave the old ConfigMap, a second dashboard with the same uid).
const dashFiles = fs.readdirSync(path.join(MON, 'grafana/dashboards')).filter((f) => f.endsWith('.json')).sort();
const dashCms = op.filter((o) => o.kind === 'ConfigMap');
c.eq(dashCms.flatMap((cm) => Object.keys(cm.data || {})).sort(), dashFiles, 'one dashboard ConfigMap per dashboard file');
for (const cm of dashCms) {
  const [file] = Object.keys(cm.data || {});
  c.eq(cm.metadata.name, `freightliner-dashboard-${file.replace(/\.json$/, '')}`, `${file}: ConfigMap name without hash`);
  c.eq(cm.metadata.labels?.grafana_dashboard, '1', `${cm.metadata.name}: label grafana_dashboard "1"`);
  c.eq(cm.metadata.namespace, 'monitoring', `${cm.metadata.name}: namespace`);
  c.ok(cm.data[file] === fs.readFileSync(path.join(MON, 'grafana/dashboards', file), 'utf8'), `${cm.metadata.name}/${file} is monitoring/grafana/dashboards/${file} byte for byte`);
}
// Not in the kustomization (its CRD may not exist); the kustomization lists the other three files.
const kz = loadYaml(path.join(MON, 'kustomization.yaml'));
c.eq(kz.resources, ['kubernetes/namespace.yaml', 'kubernetes/prometheus-deployment.yaml', 'kubernetes/alertmanager-deployment.yaml', 'kubernetes/grafana-deployment.yaml'], 'monitoring/kustomization.yaml resources');
c.ok(fs.existsSync(path.join(REPO, 'deploy/kustomization.yaml')), 'deploy/kustomization.yaml');

// ---- deploy/cluster/: three replicas on PostgreSQL ------------------------------------------------------------------
const cl = loadYamlAll(clusterFile);
const clDep = get(cl, 'Deployment', 'freightliner');
c.eq(clDep?.spec?.replicas, 3, 'cluster: 3 replicas');
c.eq(clDep?.spec?.strategy?.type, 'RollingUpdate', 'cluster: rolled one by one, not Recreate');
c.ok(!cl.some((o) => o.kind === 'PersistentVolumeClaim'), 'cluster: no ReadWriteOnce volume shared by replicas');
const clSpec = clDep.spec.template.spec;
const stateVol = clSpec.volumes.find((v) => v.name === 'state');
c.ok(stateVol?.emptyDir && !stateVol.persistentVolumeClaim, 'cluster: checkpoints in an emptyDir per pod');
const clC = clSpec.containers[0];
const envOf = (n) => clC.env.find((e) => e.name === n);
c.eq(envOf('FREIGHTLINER_STATE_DSN')?.valueFrom?.secretKeyRef, { name: 'freightliner-db', key: 'dsn' }, 'cluster: the DSN from the Secret freightliner-db');
const pwFile = envOf('FREIGHTLINER_STATE_PASSWORD_FILE')?.value || '';
const pwMount = clC.volumeMounts.find((m) => pwFile.startsWith(m.mountPath + '/'));
const pwVol = clSpec.volumes.find((v) => v.name === pwMount?.name);
c.ok(pwVol?.secret?.secretName === 'freightliner-db' && pwVol.secret.items?.some((i) => pwFile.endsWith('/' + i.path)),
  'cluster: the password file is a key of the Secret freightliner-db, mounted where FREIGHTLINER_STATE_PASSWORD_FILE points');
c.ok(!clC.env.some((e) => /PASSWORD$/.test(e.name) && e.valueFrom), 'cluster: no password in an environment variable');
c.eq([clC.readinessProbe?.httpGet?.path], ['/ready'], 'cluster: readiness on /ready (503 while the database cannot be written)');
const clPdb = get(cl, 'PodDisruptionBudget', 'freightliner');
c.ok(clPdb && Object.entries(clPdb.spec.selector.matchLabels).every(([k, v]) => clDep.spec.template.metadata.labels[k] === v), 'cluster: the PodDisruptionBudget selects the replicas');
c.ok(clPdb?.spec?.minAvailable >= 1 && clPdb.spec.minAvailable < clDep.spec.replicas, 'cluster: the PodDisruptionBudget lets one replica go at a time');
c.done();
