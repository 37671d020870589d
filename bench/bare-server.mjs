// The baseline: a bare Node http server that only reads and parses the same bodies (JSON or NDJSON).
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let n = 0;
    if ((req.headers['content-type'] ?? '').includes('ndjson')) {
      for (const line of text.split('\n')) if (line.trim() !== '' && JSON.parse(line)) n++;
    } else {
      const v = JSON.parse(text);
      n = Array.isArray(v) ? v.length : 1;
    }
    const body = JSON.stringify({ accepted: n });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
