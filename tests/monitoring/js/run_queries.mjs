// Runs PromQL expressions (JSON lines {source, expr} on stdin, as printed by queries.sh) against a
// Prometheus HTTP API as instant queries, and fails if one does not parse or, with
// --require-data, returns nothing. Alert rules may legitimately return nothing (they select what
// is wrong), so --require-data skips them.
//   node run_queries.mjs --prometheus http://127.0.0.1:9090 [--require-data]
// Reusable by the live end-to-end test against the local stack.
import readline from 'node:readline';

const args = process.argv.slice(2);
const url = args[args.indexOf('--prometheus') + 1];
const requireData = args.includes('--require-data');
if (!url || args.indexOf('--prometheus') < 0) throw new Error('usage: run_queries.mjs --prometheus URL [--require-data]');

const failures = [];
let n = 0, withData = 0;
const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const { source, expr } = JSON.parse(line);
  n++;
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(30000),
  });
  const body = await res.json().catch(() => ({}));
  if (body.status !== 'success') {
    failures.push(`${source}: ${body.errorType || res.status}: ${body.error || ''}\n    ${expr}`);
    continue;
  }
  const r = body.data.result;
  const empty = Array.isArray(r) ? r.length === 0 : r == null;
  const nan = Array.isArray(r) && r.length > 0 && r.every((s) => s.value && s.value[1] === 'NaN');
  if (!empty && !nan) withData++;
  if (requireData && !source.includes(' alert ')) {
    if (empty) failures.push(`${source}: no data\n    ${expr}`);
    else if (nan) failures.push(`${source}: only NaN\n    ${expr}`);
  }
}
if (n === 0) failures.push('no queries on stdin');
for (const f of failures) console.error(`FAIL: ${f}`);
console.log(`run_queries: ${n} queries, ${withData} returned data, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
