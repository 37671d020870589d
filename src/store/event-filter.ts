import { Params } from './sql-params.js';

/**
 * Which stored events a deletion removes: any of several matches, each a conjunction of optional fields.
 * Retention is one match per rule (`source = web AND time < cutoff`); an erasure is one match on a subject,
 * narrowed by source, type and time. Compiled to SQL with bound parameters only.
 */
export interface EventMatch {
  readonly source?: string;
  readonly type?: string;
  readonly subject?: string;
  /** Events at or after this time (epoch ms). */
  readonly since?: number;
  /** Events before this time (epoch ms). */
  readonly before?: number;
}

export interface EventFilter {
  readonly anyOf: readonly EventMatch[];
}

/** The filter as a SQL condition over the events table's columns, with $n placeholders from `first`. */
export function eventFilterSql(
  filter: EventFilter,
  first = 1,
): { readonly sql: string; readonly params: unknown[] } {
  const params = new Params(first);
  const bind = (v: unknown) => params.add(v);
  const terms = filter.anyOf.map((m) => {
    const parts: string[] = [];
    if (m.source !== undefined) parts.push(`source = ${bind(m.source)}`);
    if (m.type !== undefined) parts.push(`type = ${bind(m.type)}`);
    if (m.subject !== undefined) parts.push(`subject = ${bind(m.subject)}`);
    if (m.since !== undefined) parts.push(`time >= ${bind(new Date(m.since))}`);
    if (m.before !== undefined) parts.push(`time < ${bind(new Date(m.before))}`);
    return parts.length ? `(${parts.join(' AND ')})` : 'TRUE';
  });
  return { sql: terms.length ? `(${terms.join(' OR ')})` : 'FALSE', params: params.values };
}

/**
 * The latest `before` of a filter whose every match is bounded by one, else null: only then can a whole
 * month of events be known to match without reading it (PostgreSQL drops such months' partitions).
 */
export function timeBound(filter: EventFilter): number | null {
  if (filter.anyOf.length === 0 || filter.anyOf.some((m) => m.before === undefined)) return null;
  return Math.max(...filter.anyOf.map((m) => m.before!));
}
