import type { ColumnFilter } from '../../project/projection-reader.js';

/**
 * What a limited read token is granted (server.readTokens[].sources, projections, queries, fixed): what is not
 * listed is not granted, and the fixed values are filters the token always carries (Tinybird's fixed_params).
 */
export interface ReadLimits {
  readonly sources: ReadonlySet<string>;
  readonly projections: ReadonlySet<string>;
  readonly queries: ReadonlySet<string>;
  /** Column (projections) or parameter (named queries) → the only value this token may see. */
  readonly fixed: Readonly<Record<string, string>>;
}

/** A request a limited token may not make: 403, with what the token is limited to. */
export class LimitError extends Error {
  readonly statusCode = 403;
}

/**
 * The limits of a request's principal; undefined for a token that may read everything. (It takes the shape of
 * a Principal, not the type, which credentials.ts defines with ReadLimits: the two modules would import each other.)
 */
export function limitsOf(p: { readonly kind: string; readonly limits?: ReadLimits }): ReadLimits | undefined {
  return p.kind === 'read' ? p.limits : undefined;
}

/** Refuses a projection the token is not granted. */
export function checkProjection(l: ReadLimits, name: string): void {
  if (!l.projections.has(name))
    throw new LimitError(`this token may not read projection ${name} (it may read: ${list(l.projections)})`);
}

/**
 * The filters of a projection read with the token's fixed values added. A fixed column the projection lacks
 * refuses the read (the filter could not hold), and so does a request's own filter on a fixed column unless it
 * asks for exactly the fixed value: a request can narrow what a token sees, never widen it.
 */
export function fixFilters(
  l: ReadLimits,
  projection: string,
  columns: readonly string[],
  filters: Readonly<Record<string, readonly ColumnFilter[]>>,
): Record<string, ColumnFilter[]> {
  const out: Record<string, ColumnFilter[]> = {};
  for (const [k, v] of Object.entries(filters)) out[k] = [...v];
  for (const [column, value] of Object.entries(l.fixed)) {
    if (!columns.includes(column))
      throw new LimitError(
        `this token is fixed to ${column} = ${value}, and projection ${projection} has no column ${column}`,
      );
    for (const f of out[column] ?? []) {
      if (f.op !== 'eq' || String(f.value) !== value)
        throw new LimitError(
          `this token is fixed to ${column} = ${value}; a request may not filter ${column} otherwise`,
        );
    }
    out[column] = [{ op: 'eq', value }];
  }
  return out;
}

/** The parameters of a named query with the token's fixed values set, under the same rules as fixFilters. */
export function fixParams(
  l: ReadLimits,
  query: string,
  declared: readonly string[],
  params: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  if (!l.queries.has(query))
    throw new LimitError(`this token may not run query ${query} (it may run: ${list(l.queries)})`);
  const out = { ...params };
  for (const [param, value] of Object.entries(l.fixed)) {
    if (!declared.includes(param))
      throw new LimitError(
        `this token is fixed to ${param} = ${value}, and query ${query} has no parameter ${param}`,
      );
    if (out[param] !== undefined && out[param] !== value)
      throw new LimitError(
        `this token is fixed to ${param} = ${value}; a request may not set ${param} otherwise`,
      );
    out[param] = value;
  }
  return out;
}

/**
 * The sources a read of raw inputs (events, the quarantine) is restricted to. A token with fixed values reads
 * no raw events: its filter is on projection columns, which raw events do not have.
 */
export function rawSources(l: ReadLimits, what: string, requested: string | undefined): readonly string[] {
  if (Object.keys(l.fixed).length > 0)
    throw new LimitError(
      `this token has fixed filters (${Object.keys(l.fixed).join(', ')}), so it may not read ${what}`,
    );
  if (requested !== undefined && !l.sources.has(requested))
    throw new LimitError(
      `this token may not read ${what} of source ${requested} (it may read: ${list(l.sources)})`,
    );
  if (l.sources.size === 0)
    throw new LimitError(`this token is granted no source, so it may not read ${what}`);
  return requested !== undefined ? [requested] : [...l.sources];
}

function list(s: ReadonlySet<string>): string {
  return s.size ? [...s].join(', ') : 'none';
}
