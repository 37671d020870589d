import type { Store } from '../../store/store.js';
import { type LakeDatasource, type RowFilter, type SourceRow, whereOf } from './datasource.js';

/** The Panoramix store itself: the events table and projection tables, read in pages. */
export class StoreDatasource implements LakeDatasource {
  constructor(private readonly store: Store) {}

  async *rows(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow> {
    const q = (id: string) => this.store.dialect.quoteIdent(id);
    const where = whereOf(filter, q, (n) => `$${n}`);
    if (this.store.stream) {
      for await (const rows of this.store.stream(
        `SELECT ${fields.map(q).join(', ')} FROM ${q(table)}${where.sql}`,
        where.params,
      ))
        yield* rows as SourceRow[];
      return;
    }
    // Paged by offset over a stable order, so memory stays bounded however large the table.
    for (let offset = 0; ; offset += 10_000) {
      const rows = await this.store.query(
        `SELECT ${fields.map(q).join(', ')} FROM ${q(table)}${where.sql} ORDER BY ${fields.map(q).join(', ')} LIMIT 10000 OFFSET ${offset}`,
        where.params,
      );
      yield* rows as SourceRow[];
      if (rows.length < 10_000) return;
    }
  }

  async columns(table: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.store.query(
      'SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [table],
    );
    return rows as { name: string; type: string }[];
  }

  async tables(): Promise<string[]> {
    const rows = await this.store.query(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_name = 'events' OR table_name LIKE 'proj_%' ORDER BY 1",
    );
    return rows.map((r) => r.t as string);
  }

  async ping(): Promise<void> {
    await this.store.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {}
}
