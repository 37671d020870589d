import type { DuckDBConnection } from '@duckdb/node-api';
import { type EventFilter, eventFilterSql } from '../event-filter.js';
import type { DeleteOptions, DeleteResult, Row, SqlClient } from '../store.js';
import { fromDuckRow, toDuckValue } from './duckdb-values.js';

/**
 * Deletes the matching events in one transaction on the writer's connection (no append runs meanwhile),
 * recording the highest seq given out first, then checkpoints so the deleted rows leave the file's live
 * blocks (DuckDB vacuums deletes at a checkpoint; the blocks are reused, the file does not shrink by itself).
 */
export async function deleteDuckEvents(
  c: DuckDBConnection,
  committedSeq: number,
  filter: EventFilter,
  options: DeleteOptions = {},
): Promise<DeleteResult> {
  const where = eventFilterSql(filter);
  const tx: SqlClient = {
    query: async <R extends Row>(sql: string, params: readonly unknown[] = []) =>
      (await c.runAndReadAll(sql, params.length ? params.map(toDuckValue) : undefined))
        .getRowObjectsJS()
        .map((r) => fromDuckRow(r) as R),
    exec: async (sql, params = []) => {
      await c.run(sql, params.length ? params.map(toDuckValue) : undefined);
    },
  };
  let deleted = 0;
  await c.run('BEGIN TRANSACTION');
  try {
    await tx.exec('DELETE FROM event_seq_floor');
    await tx.exec('INSERT INTO event_seq_floor VALUES ($1)', [committedSeq]);
    await options.beforeDelete?.(tx, where);
    const result = await c.run(
      `DELETE FROM events WHERE ${where.sql}`,
      where.params.length ? where.params.map(toDuckValue) : undefined,
    );
    deleted = result.rowsChanged;
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  // FORCE waits for running transactions instead of failing (DuckDB 1.4+).
  if (deleted > 0) await c.run('FORCE CHECKPOINT');
  return { events: deleted, partitionsDropped: [] };
}
