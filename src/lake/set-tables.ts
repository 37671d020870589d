import fs from 'node:fs';
import { parseDocument } from 'yaml';
import type { LakeType } from './config.js';
import type { LakeDatasource } from './datasources/datasource.js';

/** A source column's SQL type as a lake type (text when unsure: nothing is lost, the view can cast). */
export function lakeTypeOf(sqlType: string): LakeType {
  const t = sqlType.toLowerCase();
  if (/^(bigint|int8|bigserial)/.test(t)) return 'bigint';
  if (/^(int|integer|int4|smallint|int2|tinyint|mediumint|serial)/.test(t)) return 'integer';
  if (/^(double|float|real)/.test(t)) return 'double';
  if (/^(decimal|numeric)/.test(t)) return 'decimal';
  if (/^(bool|bit)/.test(t)) return 'boolean';
  if (/^(timestamp|datetime)/.test(t)) return 'timestamp';
  if (/^date$/.test(t)) return 'date';
  return 'text';
}

/**
 * panorama-elt's set-tables and set-tables-fields: fill panoramix.yaml's lake tables from the source database's
 * own schema, editing the file in place (comments and layout of the rest are kept).
 */
export async function setTables(
  file: string,
  datasource: string,
  ds: LakeDatasource,
  opts: { onlyFields: boolean; tables?: readonly string[] },
): Promise<string[]> {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const existing = Object.keys(
    (doc.getIn(['lake', 'tables']) as { toJSON(): Record<string, unknown> } | undefined)?.toJSON() ?? {},
  );
  const names = opts.onlyFields
    ? opts.tables?.length
      ? opts.tables
      : existing
    : (await ds.tables()).filter((t) => !opts.tables?.length || opts.tables.includes(t));
  const changed: string[] = [];
  for (const name of names) {
    const source = (doc.getIn(['lake', 'tables', name, 'source']) as string | undefined) ?? name;
    const cols = await ds.columns(source);
    if (cols.length === 0) continue;
    if (!opts.onlyFields && !existing.includes(name))
      doc.setIn(['lake', 'tables', name, 'datasources'], doc.createNode([datasource], { flow: true }));
    doc.setIn(
      ['lake', 'tables', name, 'fields'],
      doc.createNode(Object.fromEntries(cols.map((c) => [c.name, lakeTypeOf(c.type)])), { flow: true }),
    );
    changed.push(name);
  }
  fs.writeFileSync(file, doc.toString());
  return changed;
}
