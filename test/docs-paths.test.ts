import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_PAGES, ROOT } from './support/doc-pages.js';

// A page that cites a file that was moved or deleted sends its reader nowhere (docs/sources.md cited a
// test/rabbitmq-source.test.ts long gone). Every repository path the README and docs/ name, in code spans or
// links, must exist; and the README's layout must name every folder of src/.
const PAGES = DOC_PAGES;
const TOP = /^(src|test|bench|examples|docs|web|scripts|bin)\//;
const GENERATED = /(^|\/)(dist|data|reports|lake|imports|exports|test-output)(\/|$)|(^|\/)\.env$/;

/** The paths a page names: `code spans` that are repository paths, and relative links, from the root. */
function namedPaths(page: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/`([^`\s]+)`/g)) {
    const p = m[1]!.replace(/[.,:;)]+$/, '');
    // Placeholders (<name>, *, {x}) and what a run or the reader creates (.gitignore's dist/, data/, .env,
    // imports/, …) are not files of the repository.
    if (TOP.test(p) && !/[<>*{}$]/.test(p) && !GENERATED.test(p)) out.push(p);
  }
  for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
    const link = m[1]!;
    if (/^[a-z]+:/.test(link)) continue;
    out.push(path.relative(ROOT, path.resolve(ROOT, path.dirname(page), link)));
  }
  return out;
}

describe('paths in the docs', () => {
  it('every file a page names exists', () => {
    const named = PAGES.flatMap((page) => namedPaths(page).map((p) => ({ page, p })));
    expect(named.length).toBeGreaterThan(50);
    const missing = named
      .filter(({ p }) => !fs.existsSync(path.join(ROOT, p)))
      .map(({ page, p }) => `${page}: ${p}`);
    expect(missing).toEqual([]);
    // The check must see a path that is not there.
    expect(fs.existsSync(path.join(ROOT, 'test/rabbitmq-source.test.ts'))).toBe(false);
  });

  it("the README's layout names every folder of src/", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const layout = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const named = new Set([...layout.matchAll(/^src\/([a-z-]+)/gm)].map((m) => m[1]));
    const folders = fs
      .readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => !named.has(f))).toEqual([]);
  });
});
