import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type DocCommand,
  expandPaths,
  extractCommands,
  type HelpPage,
  parseHelp,
  problems,
} from './support/doc-commands.js';
import { DOC_PAGES, ROOT } from './support/doc-pages.js';

// Every `panoramix …` line a reader may copy from the README, docs/ or an example's README is checked against
// the built CLI's own --help: a renamed option or a command that never existed fails here, not for the reader.
const PAGES = DOC_PAGES;
const run = promisify(execFile);
const HELP_RUNNER = path.join(ROOT, 'test/support/cli-help.mjs');

/**
 * `panoramix <path> --help` of the built CLI for every path and each of its prefixes, all in one process
 * (test/support/cli-help.mjs): fifty fresh processes would take half a minute on a busy machine.
 */
async function helpPages(paths: readonly string[][]): Promise<Map<string, HelpPage>> {
  const keys = new Set<string>(['']);
  for (const p of paths) for (let i = 1; i <= p.length; i++) keys.add(p.slice(0, i).join(' '));
  const words = [...keys].map((k) => k.split(' ').filter(Boolean));
  const { stdout } = await run(process.execPath, [HELP_RUNNER, JSON.stringify(words)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const answers = JSON.parse(stdout) as Record<string, { code: number | null; out: string }>;
  const pages = new Map<string, HelpPage>();
  for (const [key, { code, out }] of Object.entries(answers)) {
    if (code !== 0) throw new Error(`panoramix ${key} --help exited with ${code}:\n${out}`);
    pages.set(key, parseHelp(out));
  }
  return pages;
}

describe('command lines in the docs', () => {
  const commands: DocCommand[] = PAGES.flatMap((f) =>
    extractCommands(f, fs.readFileSync(path.join(ROOT, f), 'utf8')),
  );

  it('finds the command lines of every page that shows some', () => {
    // A change to the extraction that quietly finds nothing would make the check below pass for nothing.
    const files = new Set(commands.map((c) => c.file));
    for (const f of ['README.md', 'docs/lake.md', 'docs/matching.md', 'examples/messaging/README.md'])
      expect(files).toContain(f);
    expect(commands.length).toBeGreaterThan(40);
  });

  it('names only commands and options the CLI has', { timeout: 20_000 }, async () => {
    const planted: DocCommand[] = [
      {
        file: 'planted',
        line: 1,
        text: 'panoramix report run x --bogus',
        words: ['report', 'run', 'x', '--bogus'],
      },
      { file: 'planted', line: 2, text: 'panoramix project frob', words: ['project', 'frob'] },
      { file: 'planted', line: 3, text: 'panoramix bench', words: ['bench'] },
    ];
    const help = await helpPages([...commands, ...planted].flatMap((c) => expandPaths(c.words)));
    // The checker itself must see what is wrong with a planted line, or its silence below means nothing.
    expect(planted.map((c) => problems(c, help).length)).toEqual([1, 1, 1]);
    const wrong = commands.flatMap((c) =>
      problems(c, help).map((p) => `${c.file}:${c.line}: ${c.text}: ${p}`),
    );
    expect(wrong).toEqual([]);
  });
});
