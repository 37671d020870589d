import { QueryError } from './query-error.js';

/** A page's cursor: its offset, bound to the query it pages (filters, sort, version). */
export function encodeCursor(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
}

export function decodeCursor(cursor: string, fingerprint: string): number {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: unknown; f: unknown };
    if (typeof c.o !== 'number' || !Number.isInteger(c.o) || c.o < 0) throw new Error('bad');
    if (c.f !== fingerprint)
      throw new QueryError(
        'cursor belongs to another query (filters, sort or version changed); start again without it',
      );
    return c.o;
  } catch (err) {
    if (err instanceof QueryError) throw err;
    throw new QueryError('cursor is not valid; use the nextCursor of a previous answer');
  }
}
