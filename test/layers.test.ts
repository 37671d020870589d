import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

// What a feature holds is on its object in runtime.features (issue 13), not in a registry keyed by the
// runtime that nothing lists: the import layers are dependency-cruiser's (npm run deps), this is the rest.
describe('the model of the long-running parts', () => {
  it('has no hidden registry keyed by the runtime', () => {
    const found = sources(SRC).filter((f) => /WeakMap<\s*Runtime\b/.test(fs.readFileSync(f, 'utf8')));
    expect(found.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
