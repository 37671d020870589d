import mysql from 'mysql2';
import type { Pool } from 'mysql2/promise';
import { type LakeDatasource, type RowFilter, type SourceRow, whereOf } from './datasource.js';

// Rows per batch, and batches read ahead before the connection is paused.
const BATCH = 1000;
const QUEUED = 4;

/** MySQL and MariaDB through mysql2; rows are streamed, so a table is never held in memory whole. */
export class MysqlDatasource implements LakeDatasource {
  private readonly pool: mysql.Pool;

  constructor(url: string) {
    this.pool = mysql.createPool({
      uri: url,
      connectionLimit: 2,
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: false,
    });
  }

  private get promise(): Pool {
    return this.pool.promise();
  }

  // The driver's row events gathered into batches, the connection paused while batches wait to be taken:
  // its stream's async iterator cost a promise per row (measured: 360k against 610k rows/s bare).
  async *batches(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow[]> {
    const where = whereOf(filter, quote, () => '?');
    const sql = `SELECT ${fields.map(quote).join(', ')} FROM ${table.split('.').map(quote).join('.')}${where.sql}`;
    const conn = await new Promise<mysql.PoolConnection>((resolve, reject) =>
      this.pool.getConnection((err, c) => (err ? reject(err) : resolve(c))),
    );
    const ready: SourceRow[][] = [];
    let batch: SourceRow[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    // A connection lost mid-result is told to the connection, not to a query without a callback: unheard,
    // the read waited for ever.
    const lost = (err: Error) => {
      failure ??= err;
      signal();
    };
    conn.on('error', lost);
    conn
      .query(sql, where.params)
      .on('result', (row) => {
        batch.push(row as SourceRow);
        if (batch.length < BATCH) return;
        ready.push(batch);
        batch = [];
        if (ready.length >= QUEUED) conn.pause();
        signal();
      })
      .on('error', (err) => {
        failure = err;
        signal();
      })
      .on('end', () => {
        if (batch.length) ready.push(batch);
        ended = true;
        signal();
      });
    try {
      for (;;) {
        const next = ready.shift();
        if (next) {
          if (ready.length < QUEUED) conn.resume();
          yield next;
        } else if (failure) throw failure;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      conn.removeListener('error', lost);
      // A reader that stopped early leaves the result half read: that connection is not reused.
      if (ended && !failure) conn.release();
      else conn.destroy();
    }
  }

  async columns(table: string): Promise<{ name: string; type: string }[]> {
    const [rows] = await this.promise.query(
      'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position',
      [table],
    );
    return rows as { name: string; type: string }[];
  }

  async tables(): Promise<string[]> {
    const [rows] = await this.promise.query(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1',
    );
    return (rows as { t: string }[]).map((r) => r.t);
  }

  async ping(): Promise<void> {
    await this.promise.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.promise.end();
  }
}

function quote(id: string): string {
  return `\`${id.replaceAll('`', '``')}\``;
}
