import type pg from 'pg';

/**
 * A pooled connection that cannot end the process: the pool listens for 'error' only on idle connections,
 * so a connection that drops while checked out (between two statements of a transaction) would emit an
 * unheard 'error'. Here it is heard, and the broken connection is destroyed on release, not pooled again.
 */
export async function connectGuarded(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  // The pool sets a fresh release on every checkout, so this wrapper lasts for this checkout only.
  const release = client.release.bind(client);
  client.release = (err?: Error | boolean) => {
    client.removeListener('error', onError);
    release(err ?? broken);
  };
  return client;
}
