#!/usr/bin/env node
// Notification sink for the local stack: stands in for Slack, PagerDuty and the dead-man's switch,
// and prints what each would have received. alertmanager-local.yml sends every receiver here:
//   POST /slack/<receiver>      Slack incoming-webhook payload (channel, title, text)
//   POST /pagerduty/<receiver>  PagerDuty Events API v2 payload (summary, links, details)
//   POST /webhook/<receiver>    Alertmanager webhook payload (the Watchdog heartbeat)
// Every request is answered 200 (PagerDuty's shape for PagerDuty: 202 with a dedup key).
//
// Usage: node notification-sink.mjs [--port 9095] [--host 127.0.0.1] [--out FILE]
//   --out FILE  also append one JSON line per request: {time, kind, receiver, body, auth}; auth is
//               the Authorization header's scheme and the SHA-256 of its credentials (never the
//               credentials themselves), or null, so a test can tell that a key file was sent.
// Node's standard library only, so it runs wherever the project's tests run.
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const port = Number(opt('port', '9095'));
const host = opt('host', '127.0.0.1');
const out = opt('out', '');
const MAX_BODY = 4 * 1024 * 1024;

function describe(kind, receiver, body) {
  const lines = [];
  if (kind === 'slack') {
    lines.push(`[slack ${body.channel || '?'}] (${receiver}) ${body.attachments?.[0]?.title ?? body.text ?? ''}`);
    const a = body.attachments?.[0];
    if (a?.title_link) lines.push(`  runbook: ${a.title_link}`);
    if (a?.text) for (const l of String(a.text).split('\n')) if (l.trim()) lines.push(`  ${l}`);
  } else if (kind === 'pagerduty') {
    lines.push(`[pagerduty ${body.event_action}] (${receiver}) ${body.payload?.summary ?? ''}`);
    for (const l of body.links || []) lines.push(`  link: ${l.text}: ${l.href}`);
    const d = body.payload?.custom_details || {};
    for (const k of ['impact', 'action', 'runbook_url']) if (d[k]) lines.push(`  ${k}: ${d[k]}`);
  } else {
    const names = (body.alerts || []).map((a) => a.labels?.alertname).join(', ');
    lines.push(`[webhook ${body.status}] (${receiver}) ${names}`);
  }
  return lines.join('\n');
}

// {scheme, sha256} of the Authorization header: enough to check which key was sent, not the key.
function authorization(req) {
  const h = req.headers.authorization;
  if (!h) return null;
  const [scheme, ...rest] = h.split(' ');
  return { scheme, sha256: crypto.createHash('sha256').update(rest.join(' ')).digest('hex') };
}

const server = http.createServer((req, res) => {
  const m = /^\/(slack|pagerduty|webhook)\/([\w.-]+)\/?$/.exec(req.url || '');
  if (req.method === 'GET' && req.url === '/-/ready') {
    res.writeHead(200).end('ok\n');
    return;
  }
  if (req.method !== 'POST' || !m) {
    res.writeHead(404).end('unknown path\n');
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400).end('invalid JSON\n');
      return;
    }
    const [, kind, receiver] = m;
    console.log(describe(kind, receiver, body));
    if (out) fs.appendFileSync(out, JSON.stringify({ time: new Date().toISOString(), kind, receiver, body, auth: authorization(req) }) + '\n');
    if (kind === 'pagerduty') {
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key || 'local' }));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    }
  });
});
server.listen(port, host, () => console.log(`notification sink listening on http://${host}:${port}`));
// Exit at once: writes are synchronous, and server.close() would wait for Alertmanager's keep-alive
// connections to go away, which they never do while it runs.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
