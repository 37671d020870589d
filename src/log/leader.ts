import pg from 'pg';

// One id for the batch leader of a database: only one `panoramix batch` holds it at a time.
const LEADER_LOCK = 0x706d7862;

/**
 * Waits until this process holds the batch leader lock (a PostgreSQL session advisory lock), then keeps the
 * session open. If the leader dies, its session ends, the lock is released, and the next `batch` process
 * polling for it takes over within `pollMs`.
 */
export async function becomeLeader(
  url: string,
  pollMs = 2000,
  signal?: AbortSignal,
): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (;;) {
    if (signal?.aborted) {
      await client.end();
      throw new Error('stopped before becoming leader');
    }
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
    if (rows[0]?.ok) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  // Losing the connection means losing the lock: stop rather than run a second leader.
  client.on('error', () => process.exit(1));
  return {
    release: async () => {
      await client.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK]).catch(() => undefined);
      await client.end();
    },
  };
}
