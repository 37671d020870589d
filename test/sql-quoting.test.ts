import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Values reach SQL bound (src/store/sql-params.ts), identifiers and configuration literals through a dialect's
// quoteIdent and literal: quoting written by hand anywhere else is how a value slips into SQL text.
const HAND_QUOTING: readonly RegExp[] = [
  /replaceAll\(\s*(["'`])'\1\s*,/, // replaceAll("'", "''")
  /replace\(\s*\/'\/g/, // replace(/'/g, "''")
  /replaceAll\(\s*'"'\s*,\s*'""'\s*\)/, // replaceAll('"', '""'): an identifier quoted by hand
];

// Where quoting belongs, or where the text is not SQL for our engines.
const ALLOWED = new Set([
  'src/store/duckdb/duckdb-dialect.ts',
  'src/store/postgres/postgres-dialect.ts',
  // CSV fields (the COPY FROM of PostgreSQL appends, CSV answers, the matching demo's files), not SQL.
  'src/store/postgres/event-append.ts',
  'src/core/csv.ts',
  'src/match/demo-files.ts',
  // Athena and DuckDB DDL printed for the user to run elsewhere, with Hive's quoting.
  'src/lake/ddl.ts',
]);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('SQL quoting', () => {
  it('is written only in the dialects: nothing in src/ quotes a value or a name by hand', () => {
    const found: string[] = [];
    for (const file of sources('src')) {
      const rel = file.split(path.sep).join('/');
      if (ALLOWED.has(rel)) continue;
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (HAND_QUOTING.some((re) => re.test(line))) found.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('sees hand quoting where it is', () => {
    const line = "const s = `'${name.replaceAll(\"'\", \"''\")}'`;";
    expect(HAND_QUOTING.some((re) => re.test(line))).toBe(true);
    expect(HAND_QUOTING.some((re) => re.test("x.replace(/'/g, \"''\")"))).toBe(true);
  });
});
