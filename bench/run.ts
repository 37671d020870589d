// `npm run bench -- NAME [args]`: runs bench/NAME.ts; without a name, lists the benchmarks.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const names = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || name === '--help' || !names.includes(name)) {
  process.stdout.write(`usage: npm run bench -- NAME [options]\nbenchmarks: ${names.join(', ')}\n`);
  process.exit(name && name !== '--help' ? 1 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(path.join(dir, `${name}.ts`)).href);
