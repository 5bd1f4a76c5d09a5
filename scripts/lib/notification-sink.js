#!/usr/bin/env node
// The local stack's stand-in for Slack, PagerDuty and the dead-man's switch: Alertmanager posts to
// /slack/<receiver>, /pagerduty/<receiver> or /webhook/<receiver>; each notification is printed as
// one readable line on stdout and appended, whole, to a JSON-lines file for tests to read.
//
//   node notification-sink.js PORT LOG_FILE
'use strict';
const http = require('http');
const fs = require('fs');

const [port, logFile] = process.argv.slice(2);
if (!port || !logFile) {
  console.error('usage: notification-sink.js PORT LOG_FILE');
  process.exit(2);
}

// One line a human can read: where it went, and the text a person would have seen.
function describe(path, body) {
  if (path.startsWith('/slack/')) {
    const parts = [body.text || ''];
    for (const a of body.attachments || []) parts.push(a.title || '', a.text || '');
    return parts.filter(Boolean).join(' | ');
  }
  if (path.startsWith('/pagerduty/')) {
    const p = body.payload || {};
    return `${body.event_action || ''} ${p.summary || body.description || ''}`;
  }
  return (body.alerts || []).map((a) => `${a.status} ${a.labels.alertname}`).join(', ');
}

http
  .createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
      if (raw.length > 4 << 20) req.destroy();  // a sink, not a sponge
    });
    req.on('end', () => {
      let body = {};
      try {
        body = JSON.parse(raw || '{}');
      } catch (e) {
        body = { unparsed: raw };
      }
      const entry = { time: new Date().toISOString(), path: req.url, body };
      fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
      console.log(`[${entry.time}] ${req.url}: ${describe(req.url, body).replace(/\s+/g, ' ').slice(0, 400)}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // PagerDuty's events API answers 202 with a status; Slack answers "ok". Both accept 200.
      res.end('{"status":"success"}');
    });
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`notification sink on 127.0.0.1:${port}`));
