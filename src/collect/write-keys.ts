import { createHash } from 'node:crypto';
import type { SourceConfig } from '../config/schema.js';

/** Who a request's credentials say it is. */
export type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'invalid' }
  /** `key`: the write key's digest, when a request presented one (quotas are per key). */
  | { readonly kind: 'source'; readonly source: string; readonly key?: string };

/**
 * Write keys per source. Keys are compared by their SHA-256 digest in a map, so a lookup's time does
 * not depend on how much of a guess matches, and no key is kept in memory in clear beyond the config.
 */
export class WriteKeys {
  private readonly byDigest = new Map<string, string>();
  private readonly open = new Set<string>();

  constructor(private readonly sources: Readonly<Record<string, SourceConfig>>) {
    for (const [name, s] of Object.entries(sources)) {
      if (s.writeKeys.length === 0) this.open.add(name);
      for (const k of s.writeKeys) this.byDigest.set(digest(k), name);
    }
  }

  /** True when no source is declared: a fresh project accepts any source until keys are set. */
  get unconfigured(): boolean {
    return Object.keys(this.sources).length === 0;
  }

  /** Reads `Authorization: Bearer KEY` or `Basic base64(KEY:)` (Segment's form); or a key given directly. */
  identify(authorization: string | undefined, bodyKey?: unknown): Caller {
    const key = extractKey(authorization) ?? (typeof bodyKey === 'string' && bodyKey ? bodyKey : undefined);
    if (key === undefined) return { kind: 'anonymous' };
    const d = digest(key);
    const source = this.byDigest.get(d);
    return source ? { kind: 'source', source, key: d } : { kind: 'invalid' };
  }

  /** Whether anonymous callers may write events of this source. */
  isOpen(source: string): boolean {
    return this.unconfigured || this.open.has(source);
  }

  isDeclared(source: string): boolean {
    return this.unconfigured || source in this.sources;
  }
}

function extractKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value || undefined;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    return user || undefined;
  }
  return undefined;
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64');
}
