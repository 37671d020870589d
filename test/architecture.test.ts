import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/architecture.svg is drawn from docs/architecture.dot by `npm run architecture`; the SVG records the
// SHA-256 of the source it was drawn from, so an edited source with a stale picture fails here (no dot needed).
const ROOT = path.resolve(import.meta.dirname, '..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('the architecture picture', () => {
  it('was drawn from the current architecture.dot (run npm run architecture after editing it)', () => {
    const digest = createHash('sha256').update(read('docs/architecture.dot')).digest('hex');
    const svg = read('docs/architecture.svg');
    expect(/drawn from architecture\.dot, sha256 ([0-9a-f]{64})/.exec(svg)?.[1]).toBe(digest);
    expect(svg).toMatch(/<svg [^>]*viewBox=/);
    // The two modes and the processes are what the page promises the picture shows.
    for (const text of [
      'embedded mode',
      'server mode',
      'panoramix serve',
      'panoramix work',
      'panoramix batch',
    ])
      expect(svg).toContain(text);
  });

  it('is on the architecture page, which the README links', () => {
    expect(read('docs/architecture.md')).toContain('](architecture.svg)');
    expect(read('README.md')).toContain('](docs/architecture.md)');
  });
});
