// Validates Kubernetes objects against the schemas of the npm packages `kubernetes-models` and
// `@kubernetes-models/prometheus-operator` (ServiceMonitor included):
//  1. each model's validate(): types, enums, required fields;
//  2. unknown fields, which validate() lets through: every key of the object is looked up in the
//     model's type declarations (.d.ts files of the same packages), recursively, so a misspelt
//     field (`readinesProbe`, `containerPort` at the wrong level) is an error, as it is for
//     `kubectl apply --validate=strict`.
// Usage: node validate.mjs FILE.yaml...   (multi-document YAML; "-" reads stdin)
// It lives in this directory so that the packages resolve from ./node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const NM = path.join(here, 'node_modules');

// apiVersion -> module with the model classes.
function modulePath(apiVersion) {
  if (apiVersion === 'v1') return 'kubernetes-models/v1';
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

// ---- Type declarations: property names and their types, per .d.ts file ---------------------------
const typeCache = new Map();
function resolveImport(fromFile, spec) {
  const base = spec.startsWith('.') ? path.resolve(path.dirname(fromFile), spec) : path.join(NM, spec);
  return base.replace(/\.js$/, '') + '.d.ts';
}
// Parses `{ "a"?: T; ... }` member lines into {name: typeText}.
function parseMembers(lines, start, end) {
  const props = {};
  for (let i = start; i < end; i++) {
    const m = /^\s*"([^"]+)"\??: (.*)$/.exec(lines[i]);
    if (!m) continue;
    let type = m[2];
    if (type.trim().endsWith('{')) {
      // Inline object type: gather until the brace closes.
      let depth = 1;
      const body = [type];
      while (depth > 0 && ++i < end) {
        const l = lines[i];
        depth += (l.match(/\{/g) || []).length - (l.match(/\}/g) || []).length;
        body.push(l);
      }
      type = body.join('\n');
    }
    props[m[1]] = type.replace(/;\s*$/, '');
  }
  return props;
}
function loadType(file) {
  if (typeCache.has(file)) return typeCache.get(file);
  const src = fs.readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
  const lines = src.split('\n');
  const imports = {};
  for (const m of src.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    for (const name of m[1].split(',').map((s) => s.trim())) imports[name] = resolveImport(file, m[2]);
  }
  const start = lines.findIndex((l) => /^export declare class \w+ extends Model</.test(l));
  let t = null;
  if (start >= 0) {
    const end = lines.findIndex((l, i) => i > start && /^}/.test(l));
    t = { file, imports, props: parseMembers(lines, start + 1, end) };
  }
  typeCache.set(file, t);
  return t;
}
// Checks `value` against the type text `type` declared in `ctx` (a loaded type); collects errors.
function checkValue(value, type, ctx, where, errors) {
  type = type.trim();
  if (value === null || value === undefined) return;
  const arr = /^Array<([\s\S]*)>$/.exec(type);
  if (arr) {
    if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, arr[1], ctx, `${where}[${i}]`, errors));
    return;
  }
  if (type.startsWith('{')) {
    const idx = /^\{\s*\[key: string\]: ([\s\S]*?);?\s*\}$/.exec(type);
    if (idx) {
      if (typeof value === 'object') for (const [k, v] of Object.entries(value)) checkValue(v, idx[1], ctx, `${where}.${k}`, errors);
      return;
    }
    const lines = type.split('\n');
    checkObject(value, parseMembers(lines, 1, lines.length - 1), ctx, where, errors);
    return;
  }
  const ident = /^(I\w+)$/.exec(type);
  if (ident && ctx.imports[ident[1]]) {
    const t = loadType(ctx.imports[ident[1]]);
    if (t && typeof value === 'object' && !Array.isArray(value)) checkObject(value, t.props, t, where, errors);
  }
  // Anything else is a scalar, a union of literals or an alias: validate() has checked it.
}
function checkObject(obj, props, ctx, where, errors) {
  if (typeof obj !== 'object' || Array.isArray(obj)) return;
  for (const [k, v] of Object.entries(obj)) {
    if (!(k in props)) {
      errors.push(`${where}.${k}: unknown field`);
      continue;
    }
    checkValue(v, props[k], ctx, `${where}.${k}`, errors);
  }
}

export async function validateObject(obj) {
  const errors = [];
  const id = `${obj?.kind}/${obj?.metadata?.name}`;
  if (!obj?.apiVersion || !obj?.kind) return [`${id}: no apiVersion/kind`];
  const modSpec = modulePath(obj.apiVersion);
  let mod;
  try {
    mod = await import(modSpec);
  } catch {
    return [`${id}: no schema for apiVersion ${obj.apiVersion}`];
  }
  const Cls = mod[obj.kind];
  if (!Cls) return [`${id}: no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Cls(obj).validate();
  } catch (e) {
    errors.push(`${id}: ${e.message}`);
  }
  const dts = path.join(NM, modSpec, `${obj.kind}.d.ts`);
  const t = loadType(dts);
  if (!t) errors.push(`${id}: no type declarations at ${dts}`);
  else checkObject(obj, t.props, t, id, errors);
  return errors;
}

// Self-test: the checker must reject what it exists to reject, or its "valid" means nothing.
async function selfTest() {
  const dep = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'probe' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  };
  const expectErr = async (mutate, what) => {
    const o = structuredClone(dep);
    mutate(o);
    const errs = await validateObject(o);
    if (errs.length === 0) throw new Error(`self-test: ${what} was accepted`);
  };
  if ((await validateObject(dep)).length) throw new Error(`self-test: a valid Deployment was rejected: ${await validateObject(dep)}`);
  await expectErr((o) => { o.spec.template.spec.containers[0].readinesProbe = {}; }, 'an unknown container field');
  await expectErr((o) => { o.spec.template.spec.containers[0].ports = [{ containerPort: 80, nmae: 'x' }]; }, 'an unknown field in a list item');
  await expectErr((o) => { o.spec.replicas = 'three'; }, 'a string replica count');
  await expectErr((o) => { delete o.spec.template.spec.containers[0].name; }, 'a container without a name');
  await expectErr((o) => { o.metadata.lables = {}; }, 'an unknown metadata field');
  const sm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'p' }, spec: { selector: {}, endpoints: [{ prot: 'metrics' }] } };
  if ((await validateObject(sm)).length === 0) throw new Error('self-test: an unknown ServiceMonitor endpoint field was accepted');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await selfTest();
  const files = process.argv.slice(2);
  if (!files.length) throw new Error('usage: validate.mjs FILE.yaml...');
  let n = 0;
  const errors = [];
  for (const f of files) {
    const text = fs.readFileSync(f === '-' ? 0 : f, 'utf8');
    for (const doc of YAML.parseAllDocuments(text, { uniqueKeys: true })) {
      if (doc.errors.length) { errors.push(`${f}: ${doc.errors[0].message}`); continue; }
      const obj = doc.toJS();
      if (obj === null) continue;
      n++;
      for (const e of await validateObject(obj)) errors.push(`${f}: ${e}`);
    }
  }
  for (const e of errors) console.error(`FAIL: ${e}`);
  console.log(`validate: ${n} objects, ${errors.length} errors (self-test passed)`);
  process.exit(errors.length || n === 0 ? 1 : 0);
}
