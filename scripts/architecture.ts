// npm run architecture: draws docs/architecture.svg from docs/architecture.dot with Graphviz's dot
// (apt-get install graphviz). The SVG carries the SHA-256 of the source it was drawn from, so
// test/architecture.test.ts can tell a picture drawn from an older source without needing dot itself.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const docs = path.resolve(import.meta.dirname, '..', 'docs');
const source = fs.readFileSync(path.join(docs, 'architecture.dot'), 'utf8');
const svg = execFileSync('dot', ['-Tsvg'], { input: source, encoding: 'utf8' });
const digest = createHash('sha256').update(source).digest('hex');
fs.writeFileSync(
  path.join(docs, 'architecture.svg'),
  svg.replace('<svg ', `<!-- drawn from architecture.dot, sha256 ${digest} -->\n<svg `),
);
process.stdout.write('wrote docs/architecture.svg\n');
