import mysql from 'mysql2';
import type { Pool } from 'mysql2/promise';
import { type LakeDatasource, type RowFilter, type SourceRow, whereOf } from './datasource.js';

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

  // The driver's stream itself, queried when iteration starts (as a generator would be): a generator
  // re-yielding its rows cost a promise per row more.
  rows(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow> {
    const where = whereOf(filter, quote, () => '?');
    const sql = `SELECT ${fields.map(quote).join(', ')} FROM ${table.split('.').map(quote).join('.')}${where.sql}`;
    return {
      [Symbol.asyncIterator]: () =>
        (this.pool.query(sql, where.params).stream({ highWaterMark: 1000 }) as AsyncIterable<SourceRow>)[
          Symbol.asyncIterator
        ](),
    };
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
