import fs from 'node:fs';
import path from 'node:path';

/** The repository's root, from the tests. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The pages a reader follows: the README, docs/, and each example's README. */
export const DOC_PAGES: readonly string[] = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...fs
    .readdirSync(path.join(ROOT, 'examples'))
    .map((d) => `examples/${d}/README.md`)
    .filter((f) => fs.existsSync(path.join(ROOT, f))),
];
