import type { Migration, Store } from '../store/store.js';

export const FLAG_MIGRATIONS: readonly Migration[] = [
  {
    component: 'schemas',
    version: 1,
    name: 'create flags',
    up: `CREATE TABLE IF NOT EXISTS panoramix_flags (
           source TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, violations TEXT NOT NULL,
           flagged_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (source, id))`,
  },
];

/** Records the violations of events stored under a `flag` policy, beside (not inside) the events table. */
export async function recordFlags(
  store: Store,
  flagged: readonly { source: string; id: string; type: string; violations: string[] }[],
): Promise<void> {
  const now = new Date();
  for (const f of flagged) {
    await store.exec(
      'INSERT INTO panoramix_flags (source, id, type, violations, flagged_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source, id) DO NOTHING',
      [f.source, f.id, f.type, JSON.stringify(f.violations), now],
    );
  }
}
