import pg from 'pg';
import { expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { pgSchema } from './support/pg-schemas.js';
import { describeWith } from './support/services.js';

// The schemas the engine loops give PostgreSQL stores go when their test passed.
describeWith('postgres', 'test schemas', (url) => {
  let made = '';
  it('are fresh for each store', async () => {
    made = pgSchema(url);
    expect(made).toMatch(/^t_[0-9a-f]{12}$/);
    expect(pgSchema(url)).not.toBe(made);
    const store = await PostgresStore.open({ url, schema: made });
    await store.append([
      { source: 's', id: '1', type: 't', subject: null, time: 0, data: '{}', receivedAt: 0 },
    ]);
    await store.close();
    expect(await exists(url, made)).toBe(true);
  });

  it('are dropped once their test has passed', async () => {
    expect(made).not.toBe('');
    expect(await exists(url, made)).toBe(false);
  });
});

async function exists(url: string, schema: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    return rows.length > 0;
  } finally {
    await c.end();
  }
}
