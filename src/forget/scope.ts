import { parseEventTime } from '../core/time.js';
import type { ErasureScope } from './config.js';

/** The fields of a request as sent (JSON body or CLI options). */
export interface ScopeInput {
  readonly subject?: unknown;
  /** Several subjects with the same narrowing (POST /v1/deletions). */
  readonly subjects?: unknown;
  readonly source?: unknown;
  readonly type?: unknown;
  readonly since?: unknown;
  readonly until?: unknown;
  readonly suppress?: unknown;
}

/** Reads a request's scope, or says what is wrong with it. */
export function parseScope(input: ScopeInput): ErasureScope | { error: string } {
  if (typeof input.subject !== 'string' || input.subject.length === 0)
    return { error: 'subject is required: the userId, order id or other subject whose data is erased' };
  const out: { -readonly [K in keyof ErasureScope]: ErasureScope[K] } = {
    subject: input.subject,
    suppress: input.suppress === undefined ? true : input.suppress === true || input.suppress === 'true',
  };
  if (
    input.suppress !== undefined &&
    typeof input.suppress !== 'boolean' &&
    input.suppress !== 'true' &&
    input.suppress !== 'false'
  )
    return { error: 'suppress must be true or false' };
  for (const k of ['source', 'type'] as const) {
    const v = input[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0) return { error: `${k} must be a non-empty string` };
    out[k] = v;
  }
  for (const k of ['since', 'until'] as const) {
    const v = input[k];
    if (v === undefined) continue;
    const t = parseEventTime(v);
    if (Number.isNaN(t)) return { error: `${k} must be an RFC 3339 time such as 2026-01-01T00:00:00Z` };
    out[k] = t;
  }
  if (out.since !== undefined && out.until !== undefined && out.since >= out.until)
    return { error: 'since must be before until' };
  return out;
}
