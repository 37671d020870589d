import { Params } from '../../store/sql-params.js';

/** A row from a datasource, by field name. */
export type SourceRow = Record<string, unknown>;

/** Which rows to read: all, those whose field is at or after a time, or those whose partition fields match. */
export type RowFilter =
  | { readonly kind: 'all' }
  | { readonly kind: 'since'; readonly field: string; readonly since: Date }
  | {
      readonly kind: 'partitions';
      readonly fields: readonly string[];
      readonly values: readonly (readonly unknown[])[];
    };

/** The datasource port: one adapter per engine (MySQL/MariaDB, PostgreSQL, the Panoramix store). */
export interface LakeDatasource {
  /**
   * Streams rows a batch at a time (never the whole table in memory). Batches, not rows: an async step per
   * row cost more than converting the row (measured on MariaDB: 1 µs of 1.6 per row).
   */
  batches(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow[]>;
  /** The column names and SQL types of a table, for set-tables-fields. */
  columns(table: string): Promise<{ name: string; type: string }[]>;
  /** The tables of the source database, for set-tables. */
  tables(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The WHERE clause of a filter, bound in the engine's placeholder style ($1, $2… unless told otherwise). */
export function whereOf(
  filter: RowFilter,
  quote: (id: string) => string,
  placeholder?: (n: number) => string,
): { sql: string; params: unknown[] } {
  if (filter.kind === 'all') return { sql: '', params: [] };
  const p = new Params(1, placeholder);
  if (filter.kind === 'since')
    return { sql: ` WHERE ${quote(filter.field)} >= ${p.add(filter.since)}`, params: p.values };
  const ors = filter.values.map((tuple) =>
    filter.fields
      .map((f, i) => {
        const v = tuple[i];
        if (v === null || v === undefined) return `${quote(f)} IS NULL`;
        return `${quote(f)} = ${p.add(v)}`;
      })
      .join(' AND '),
  );
  return {
    sql: ors.length ? ` WHERE (${ors.map((o) => `(${o})`).join(' OR ')})` : ' WHERE FALSE',
    params: p.values,
  };
}
