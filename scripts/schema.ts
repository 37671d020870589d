// npm run schema: writes panoramix.schema.json and docs/configuration.md from the zod schema of panoramix.yaml.
// Run it after changing a config schema; test/config-reference.test.ts fails until the files match again.
import fs from 'node:fs';
import path from 'node:path';
import { generatedFiles } from '../src/config/reference.js';

const root = path.resolve(import.meta.dirname, '..');
for (const [file, text] of Object.entries(generatedFiles())) {
  const at = path.join(root, file);
  const before = fs.existsSync(at) ? fs.readFileSync(at, 'utf8') : null;
  if (before === text) continue;
  fs.writeFileSync(at, text);
  process.stdout.write(`wrote ${file}\n`);
}
