import type pg from 'pg';
import { type EventFilter, eventFilterSql, timeBound } from '../event-filter.js';
import type { DeleteOptions, DeleteResult, SqlClient } from '../store.js';
import { HIGHEST_SEQ } from './event-append.js';
import { monthEnd } from './month-partitions.js';
import { postgresDialect } from './postgres-dialect.js';

// event_keys holds '' for a CloudEvents source equal to the source (see the events migrations).
const KEY_CE_SOURCE = "CASE WHEN ce_source = source THEN '' ELSE ce_source END";

/**
 * Deletes the matching events and their exactly-once keys in one transaction, under the append lock (seqs
 * stay in order, and the highest one given out is recorded first). A month partition every event of which
 * matches is dropped whole, which frees its space at once; other months lose their matching rows (their space
 * is reused by PostgreSQL and returned by VACUUM).
 */
export async function deletePgEvents(
  client: pg.PoolClient,
  appendLock: number,
  filter: EventFilter,
  toPg: (v: unknown) => unknown,
  options: DeleteOptions = {},
): Promise<DeleteResult> {
  const where = eventFilterSql(filter);
  const params = where.params.map(toPg);
  const tx: SqlClient = {
    query: async (sql, p = []) => (await client.query(sql, p.map(toPg))).rows,
    exec: async (sql, p = []) => {
      await client.query(sql, p.map(toPg));
    },
  };
  const q = postgresDialect.quoteIdent;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [appendLock]);
    await client.query(
      `WITH top AS (${HIGHEST_SEQ}),
            gone AS (DELETE FROM event_seq_floor)
       INSERT INTO event_seq_floor SELECT s FROM top`,
    );
    await options.beforeDelete?.(tx, where);
    const dropped: string[] = [];
    let deleted = 0;
    const bound = timeBound(filter);
    if (bound !== null) {
      for (const part of await monthPartitions(client)) {
        if (monthEnd(part.month) > bound) continue;
        const t = q(part.table);
        const kept = await client.query(
          `SELECT EXISTS (SELECT 1 FROM ${t} WHERE NOT coalesce(${where.sql}, FALSE)) AS k`,
          params,
        );
        if (kept.rows[0].k) continue;
        await client.query(
          `DELETE FROM event_keys WHERE (source, ce_source, id) IN (SELECT source, ${KEY_CE_SOURCE}, id FROM ${t})`,
        );
        const n = await client.query(`SELECT count(*)::int AS n FROM ${t}`);
        deleted += n.rows[0].n as number;
        await client.query(`DROP TABLE ${t}`);
        dropped.push(part.month);
      }
    }
    await client.query(
      `DELETE FROM event_keys WHERE (source, ce_source, id) IN (SELECT source, ${KEY_CE_SOURCE}, id FROM events WHERE ${where.sql})`,
      params,
    );
    const res = await client.query(`DELETE FROM events WHERE ${where.sql}`, params);
    deleted += res.rowCount ?? 0;
    await client.query('COMMIT');
    return { events: deleted, partitionsDropped: dropped };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The events table's month partitions, by name (events_YYYY_MM). */
async function monthPartitions(client: pg.PoolClient): Promise<{ table: string; month: string }[]> {
  const res = await client.query(
    `SELECT c.relname AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY c.relname`,
  );
  return (res.rows as { t: string }[])
    .map((r) => ({ table: r.t, month: r.t.slice('events_'.length) }))
    .filter((p) => /^\d{4}_\d{2}$/.test(p.month));
}
