// Every PromQL expression the monitoring stack runs: each dashboard panel target and template
// variable, each recording rule and each alert rule, with Grafana variables substituted so that
// Prometheus can run them as they are. Prints JSON lines {source, expr}.
//   node queries.mjs [--vars regex|concrete]
// regex (default): registry and instance filters become ".*", cost per GB 0.09.
// concrete: pass --set name=value (repeatable) to pin variables to real values, e.g. for the live
// end-to-end test: --set source_registry=127.0.0.1:5001 --set dest_registry=127.0.0.1:5002
import fs from 'node:fs';
import path from 'node:path';
import { MON, loadYaml, substituteGrafana } from './common.mjs';

export function dashboardFiles() {
  const dir = path.join(MON, 'grafana/dashboards');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}
export function allPanels(dash) {
  const out = [];
  const walk = (ps) => { for (const p of ps || []) { out.push(p); walk(p.panels); } };
  walk(dash.panels);
  return out;
}
// label_values(metric{...}, label) -> a PromQL query with the same series.
export function variableQueryToPromQL(q) {
  const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q.trim());
  if (m) return `group by (${m[2]}) (${m[1]})`;
  const m2 = /^query_result\((.*)\)$/.exec(q.trim());
  if (m2) return m2[1];
  throw new Error(`unsupported variable query: ${q}`);
}

export function collectQueries(values) {
  const out = [];
  for (const file of dashboardFiles()) {
    const dash = JSON.parse(fs.readFileSync(file, 'utf8'));
    const base = path.basename(file);
    for (const v of dash.templating?.list || []) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      out.push({ source: `${base} variable $${v.name}`, expr: substituteGrafana(variableQueryToPromQL(q), values) });
    }
    for (const p of allPanels(dash)) {
      for (const t of p.targets || []) {
        out.push({ source: `${base} panel ${p.id} "${p.title}" ${t.refId}`, expr: substituteGrafana(t.expr, values) });
      }
    }
  }
  for (const f of ['recording-rules.yml', 'alert-rules.yml']) {
    const doc = loadYaml(path.join(MON, 'prometheus', f));
    for (const g of doc.groups) for (const r of g.rules) {
      out.push({ source: `${f} ${r.record ? `record ${r.record}` : `alert ${r.alert}`}`, expr: r.expr.trim() });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const values = { source_registry: '.*', dest_registry: '.*', instance: '.*', cost_per_gb: '0.09' };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--set') {
      const [k, ...v] = args[++i].split('=');
      values[k] = v.join('=');
    } else throw new Error(`unknown argument ${args[i]}`);
  }
  for (const q of collectQueries(values)) console.log(JSON.stringify(q));
}
