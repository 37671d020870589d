import type { ProjectionReader } from '../../project/projection-reader.js';
import type { Store } from '../../store/store.js';
import { type LakeDatasource, type RowFilter, type SourceRow, whereOf } from './datasource.js';

/**
 * The Panoramix store itself: the events table (or any table), and projections by name as `projection:NAME`
 * (batch and speed merged, read page by page through the projection reader).
 */
export class StoreDatasource implements LakeDatasource {
  constructor(
    private readonly store: Store,
    private readonly projections?: ProjectionReader,
  ) {}

  async *batches(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow[]> {
    if (table.startsWith('projection:')) {
      yield* this.projectionRows(table.slice('projection:'.length), fields, filter);
      return;
    }
    const q = (id: string) => this.store.dialect.quoteIdent(id);
    const where = whereOf(filter, q);
    for await (const rows of this.store.stream(
      `SELECT ${fields.map(q).join(', ')} FROM ${q(table)}${where.sql}`,
      where.params,
    ))
      yield rows as SourceRow[];
  }

  private async *projectionRows(
    name: string,
    fields: readonly string[],
    filter: RowFilter,
  ): AsyncIterable<SourceRow[]> {
    if (!this.projections) throw new Error('projections are not enabled in this process');
    let cursor: string | undefined;
    do {
      const page = await this.projections.read(name, {
        limit: 10_000,
        ...(cursor ? { cursor } : {}),
        ...(filter.kind === 'since'
          ? { filters: { [filter.field]: [{ op: 'gte', value: filter.since.toISOString() }] } }
          : {}),
      });
      const batch: SourceRow[] = [];
      for (const r of page.rows) {
        if (
          filter.kind === 'partitions' &&
          !filter.values.some((t) =>
            filter.fields.every((f, i) => String(r[f] ?? null) === String(t[i] ?? null)),
          )
        )
          continue;
        batch.push(Object.fromEntries(fields.map((f) => [f, r[f] ?? null])));
      }
      if (batch.length) yield batch;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
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
