// A webhook receiver for the destinations benchmark, in its own process: it parses each body (JSON array or
// NDJSON), counts the events, and keeps each event's delay from received_at to its arrival here.
// GET /stats answers { events, requests, p50, p99 } (delays in ms) and starts a new window.
import http from 'node:http';

let events = 0;
let requests = 0;
let delays = [];
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const s = [...delays].sort((a, b) => a - b);
    const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null);
    const body = JSON.stringify({ events, requests, p50: q(0.5), p99: q(0.99) });
    events = 0;
    requests = 0;
    delays = [];
    return res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    const text = Buffer.concat(chunks).toString('utf8');
    const list = text.startsWith('[')
      ? JSON.parse(text)
      : text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
    requests++;
    events += list.length;
    for (const e of list) delays.push(now - Date.parse(e.received_at));
    res.writeHead(200, { 'content-length': 0 }).end();
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  process.stdout.write(`listening ${server.address().port}\n`),
);
