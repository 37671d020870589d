import pg from 'pg';
import { connectGuarded } from '../../store/postgres/guarded-client.js';
import { postgresDialect } from '../../store/postgres/postgres-dialect.js';
import { type LakeDatasource, type RowFilter, type SourceRow, whereOf } from './datasource.js';

/** PostgreSQL tables through a server-side cursor (1,000 rows at a time). */
export class PostgresDatasource implements LakeDatasource {
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
    // An idle pooled connection that drops emits 'error' on the pool; unheard, it would end the process.
    this.pool.on('error', () => undefined);
  }

  async *batches(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow[]> {
    const where = whereOf(filter, quote);
    const client = await connectGuarded(this.pool);
    let committed = false;
    try {
      await client.query('BEGIN');
      await client.query({
        text: `DECLARE pmx_lake NO SCROLL CURSOR FOR SELECT ${fields.map(quote).join(', ')} FROM ${table.split('.').map(quote).join('.')}${where.sql}`,
        values: where.params,
      });
      for (;;) {
        const { rows } = await client.query('FETCH 1000 FROM pmx_lake');
        if (rows.length === 0) break;
        yield rows as SourceRow[];
      }
      await client.query('COMMIT');
      committed = true;
    } finally {
      // A failed FETCH, or a reader that stopped early, leaves the transaction open: never pooled like that.
      if (!committed) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  async columns(table: string): Promise<{ name: string; type: string }[]> {
    const { rows } = await this.pool.query(
      'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [table],
    );
    return rows as { name: string; type: string }[];
  }

  async tables(): Promise<string[]> {
    const { rows } = await this.pool.query(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1',
    );
    return rows.map((r: { t: string }) => r.t);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const quote = postgresDialect.quoteIdent;
