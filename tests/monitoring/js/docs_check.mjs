// The docs say what the files do: every kubectl step of MONITORING_SETUP.md is run (ConfigMaps
// with --dry-run=client, offline) or resolved against the built manifests, so a step that creates
// the wrong ConfigMap, names a missing file, Service, port or Secret key fails here. The runbooks
// have a complete section per alert, and the PromQL in both documents names only real metrics.
// Usage: node docs_check.mjs MONITORING_BUILD.yaml DEPLOY_BUILD.yaml
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  Checker, MON, REPO, readText, loadYamlAll, alertRules, recordingRules, promqlNames, contractMetricNames,
  markdownAnchors,
} from './common.mjs';

const [monFile, depFile] = process.argv.slice(2);
const c = new Checker('docs_check');
const built = [...loadYamlAll(monFile), ...loadYamlAll(depFile), ...loadYamlAll(path.join(MON, 'operator/servicemonitor-freightliner.yaml'))];
const setup = readText(path.join(MON, 'docs/MONITORING_SETUP.md'));
const runbooks = readText(path.join(MON, 'docs/SLO_RUNBOOKS.md'));
const readme = readText(path.join(MON, 'README.md'));

function codeBlocks(md, lang) {
  return [...md.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter((m) => m[1] === lang).map((m) => m[2]);
}
// Shell commands with their continuation lines joined.
const commands = [...codeBlocks(setup, 'bash'), ...codeBlocks(readme, 'bash')].flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
const kubectl = commands.filter((l) => l.startsWith('kubectl '));
c.ok(kubectl.length > 15, `MONITORING_SETUP.md has the kubectl steps (${kubectl.length})`);
const nsOf = (cmd) => / -n (\S+)/.exec(cmd)?.[1];

// --- ConfigMaps: the manual steps create exactly what the kustomization generates ----------------
const generated = built.filter((o) => o.kind === 'ConfigMap');
const baseName = (n) => n.replace(/-[a-z0-9]{10}$/, '');
const created = new Map();
for (const cmd of kubectl.filter((l) => l.startsWith('kubectl create configmap '))) {
  const create = cmd.split('|')[0].replace(/--dry-run=\S+/, '').replace(/ -o yaml/, '').trim();
  let obj;
  try {
    obj = JSON.parse(execFileSync('bash', ['-c', `${create} --dry-run=client -o json`], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e) {
    c.ok(false, `docs step fails: ${create}: ${e.stderr || e.message}`);
    continue;
  }
  const gen = generated.find((g) => baseName(g.metadata.name) === obj.metadata.name);
  if (!c.ok(gen, `docs create ConfigMap ${obj.metadata.name}, which the kustomization generates`)) continue;
  c.eq(obj.metadata.namespace, gen.metadata.namespace, `docs ConfigMap ${obj.metadata.name}: namespace`);
  c.eq(Object.keys(obj.data || {}).sort(), Object.keys(gen.data || {}).sort(), `docs ConfigMap ${obj.metadata.name}: keys`);
  c.ok(JSON.stringify(obj.data) === JSON.stringify(Object.fromEntries(Object.keys(obj.data || {}).map((k) => [k, gen.data[k]]))), `docs ConfigMap ${obj.metadata.name}: same contents as generated`);
  created.set(obj.metadata.name, true);
}
for (const g of generated) c.ok(created.has(baseName(g.metadata.name)), `the manual steps create ConfigMap ${baseName(g.metadata.name)}`);

// --- Secrets: every Secret the workloads read is created with the keys they read -------------------
const secretsCreated = {};
for (const cmd of kubectl.filter((l) => l.startsWith('kubectl create secret generic '))) {
  const name = cmd.split(/\s+/)[4];
  secretsCreated[name] = [...cmd.matchAll(/--from-literal=([\w.-]+)=/g)].map((m) => m[1]);
  c.eq(nsOf(cmd), 'monitoring', `secret ${name} created in monitoring`);
}
const needed = {};
for (const w of built.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.namespace === 'monitoring')) {
  const ps = w.spec.template.spec;
  for (const ct of ps.containers) for (const e of ct.env || []) {
    const r = e.valueFrom?.secretKeyRef;
    if (r && !r.optional) (needed[r.name] ||= new Set()).add(r.key);
  }
  for (const v of ps.volumes || []) if (v.secret) needed[v.secret.secretName] ||= new Set();
}
const amYml = readText(path.join(MON, 'alertmanager/alertmanager.yml'));
for (const m of amYml.matchAll(/_file: \/etc\/alertmanager\/secrets\/([\w.-]+)/g)) (needed['alertmanager-secrets'] ||= new Set()).add(m[1]);
for (const [name, keys] of Object.entries(needed)) {
  if (!c.ok(secretsCreated[name], `docs create Secret ${name}`)) continue;
  for (const k of keys) c.ok(secretsCreated[name].includes(k), `docs Secret ${name} has key ${k}`);
}

// --- Files, kustomizations, Services, workloads named by the steps -----------------------------------
for (const cmd of kubectl) {
  const f = / apply -f (\S+)/.exec(cmd)?.[1];
  if (f && f !== '-') {
    c.ok(fs.existsSync(path.join(REPO, f)) && fs.statSync(path.join(REPO, f)).isFile(), `docs: kubectl apply -f ${f}: the file exists (a directory would include files kubectl cannot apply)`);
  }
  const k = / apply -k (\S+)/.exec(cmd)?.[1];
  if (k) c.ok(fs.existsSync(path.join(REPO, k, 'kustomization.yaml')), `docs: kubectl apply -k ${k}: a kustomization`);
  const pf = /port-forward -n (\S+) svc\/(\S+) (\d+):(\d+)/.exec(cmd);
  if (pf) {
    const svc = built.find((o) => o.kind === 'Service' && o.metadata.namespace === pf[1] && o.metadata.name === pf[2]);
    c.ok(svc && svc.spec.ports.some((p) => p.port === Number(pf[4])), `docs: port-forward svc/${pf[2]} ${pf[4]} in ${pf[1]} exists`);
  }
  const rs = /rollout status (deployment|statefulset)\/(\S+)/.exec(cmd);
  if (rs) {
    const ns = nsOf(cmd);
    const kind = rs[1] === 'deployment' ? 'Deployment' : 'StatefulSet';
    c.ok(built.some((o) => o.kind === kind && o.metadata.name === rs[2] && o.metadata.namespace === ns), `docs: ${kind} ${ns}/${rs[2]} exists`);
  }
  const ex = /exec -n (\S+) (\S+)-(\d+) /.exec(cmd);
  if (ex) c.ok(built.some((o) => o.kind === 'StatefulSet' && o.metadata.name === ex[2] && o.metadata.namespace === ex[1]), `docs: pod ${ex[2]}-${ex[3]} belongs to a StatefulSet`);
  const sm = /servicemonitor (\S+) -n (\S+)/.exec(cmd);
  if (sm) c.ok(built.some((o) => o.kind === 'ServiceMonitor' && o.metadata.name === sm[1] && o.metadata.namespace === sm[2]), `docs: ServiceMonitor ${sm[2]}/${sm[1]}`);
}
for (const [doc, md] of [['MONITORING_SETUP.md', setup], ['README.md', readme]]) {
  c.ok(!/apply -f monitoring\/kubernetes\/\s/.test(md), `${doc} never applies the kubernetes/ directory with -f`);
}
// Relative links between the documents resolve (files and #anchors).
for (const [doc, md, dir] of [['MONITORING_SETUP.md', setup, 'docs'], ['README.md', readme, ''], ['SLO_RUNBOOKS.md', runbooks, 'docs']]) {
  for (const m of md.matchAll(/\]\(([^)#\s]*)(#[^)\s]*)?\)/g)) {
    const [, file, anchor] = m;
    if (/^https?:/.test(file)) continue;
    const target = file ? path.join(MON, dir, file) : path.join(MON, dir, doc);
    if (!c.ok(fs.existsSync(target), `${doc}: link ${m[0]} resolves`)) continue;
    if (anchor && target.endsWith('.md')) c.ok(markdownAnchors(readText(target)).has(anchor.slice(1)), `${doc}: link ${m[0]} has its anchor`);
  }
}

// --- Runbooks: a complete section per alert ------------------------------------------------------------
const sections = new Map();
let cur = null;
for (const line of runbooks.split('\n')) {
  const m = /^## (.+)$/.exec(line);
  if (m) { cur = m[1].trim(); sections.set(cur, []); continue; }
  if (cur) sections.get(cur).push(line);
}
const names = [...new Set(alertRules().map((a) => a.alert))];
for (const n of names) {
  const body = sections.get(n);
  if (!c.ok(body, `SLO_RUNBOOKS.md: section ## ${n}`)) continue;
  const text = body.join('\n');
  const parts = ['**Meaning.**', '**Impact.**', '**Diagnosis.**', '**Remediation.**', '**Escalation.**'];
  const idx = parts.map((p) => text.indexOf(p));
  c.ok(idx.every((i) => i >= 0) && idx.every((v, i) => i === 0 || v > idx[i - 1]), `SLO_RUNBOOKS.md ## ${n}: ${parts.join(' ')} in order`);
  c.ok(/```promql\n/.test(text), `SLO_RUNBOOKS.md ## ${n}: diagnosis has PromQL`);
}
c.ok(sections.has('SLO definitions'), 'SLO_RUNBOOKS.md: SLO definitions');
const slo = sections.get('SLO definitions')?.join('\n') || '';
for (const s of ['99.9%', '99%', '99.5%', '30 days', '7 days', '43.2 minutes', '1 - error_ratio / (1 - objective)']) c.ok(slo.includes(s), `SLO definitions mention ${s}`);

// --- PromQL in the docs names real metrics -------------------------------------------------------------
const ok = contractMetricNames();
const recs = new Set(recordingRules().map((r) => r.record));
for (const [doc, md] of [['SLO_RUNBOOKS.md', runbooks], ['MONITORING_SETUP.md', setup]]) {
  for (const block of codeBlocks(md, 'promql')) {
    for (const line of block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))) {
      for (const m of promqlNames(line).metrics) c.ok(ok.has(m) || recs.has(m) || m === 'ALERTS', `${doc}: PromQL names unknown metric '${m}': ${line}`);
    }
  }
}
c.done();
