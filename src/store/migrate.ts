import type { Migration, Store } from './store.js';

/**
 * Applies migrations not yet recorded in panoramix_migrations, in (component, version) order, each in its
 * own transaction with its record, so a crash leaves every migration either applied and recorded or neither.
 */
export async function applyMigrations(store: Store, migrations: readonly Migration[]): Promise<void> {
  await store.exec(
    `CREATE TABLE IF NOT EXISTS panoramix_migrations (
       component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
       applied_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (component, version))`,
  );
  const applied = new Set(
    (await store.query('SELECT component, version FROM panoramix_migrations')).map(
      (r) => `${r.component}@${r.version}`,
    ),
  );
  const pending = [...migrations]
    .filter((m) => !applied.has(`${m.component}@${m.version}`))
    .sort((a, b) =>
      a.component === b.component ? a.version - b.version : a.component < b.component ? -1 : 1,
    );
  for (const m of pending) {
    const ddl = typeof m.up === 'string' ? m.up : m.up(store.dialect);
    await store.transaction(async (tx) => {
      for (const statement of splitStatements(ddl)) await tx.exec(statement);
      await tx.exec(
        'INSERT INTO panoramix_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, $4)',
        [m.component, m.version, m.name, new Date()],
      );
    });
  }
}

// Migrations are our own DDL (never user input): split on semicolons that end a line, except inside a
// dollar-quoted body ($fn$ … $fn$), whose statements belong to the function being created.
function splitStatements(ddl: string): string[] {
  const statements: string[] = [];
  const tokens = /\$[A-Za-z_]*\$|;\s*(?:\n|$)/g;
  let start = 0;
  let quote: string | null = null;
  for (let m = tokens.exec(ddl); m; m = tokens.exec(ddl)) {
    if (m[0].startsWith('$')) {
      if (quote === null) quote = m[0];
      else if (quote === m[0]) quote = null;
    } else if (quote === null) {
      statements.push(ddl.slice(start, m.index));
      start = m.index + m[0].length;
    }
  }
  statements.push(ddl.slice(start));
  return statements.map((s) => s.trim()).filter(Boolean);
}
