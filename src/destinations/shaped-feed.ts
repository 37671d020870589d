import { compileExpr } from '../project/expr/compile.js';
import type { Store } from '../store/store.js';
import type { DestinationConfig } from './config.js';
import { endOf, eventSpan, type Feed, type FeedPage } from './feed.js';
import { idempotencyKey } from './payload.js';
import type { Item } from './sender.js';

/**
 * The stored events, filtered, each sent as the fields of its destination's `shape`: expressions of the
 * projection language compiled to SQL (names checked and quoted, literals escaped), so shaping runs no code of
 * the user's. Each item is `{"idempotency_key", "seq", …the shape's fields}`.
 */
export class ShapedEventFeed implements Feed {
  private readonly sql: string;
  private readonly names: readonly string[];

  constructor(
    private readonly store: Store,
    private readonly filter: DestinationConfig['filter'],
    shape: Readonly<Record<string, string>>,
  ) {
    const d = store.dialect;
    this.names = Object.keys(shape);
    const fields = this.names.map((n, i) => `${compileExpr(shape[n]!, d).sql} AS ${d.quoteIdent(`f${i}`)}`);
    this.sql = `SELECT seq, source, ce_source, id, type, ${d.epochSeconds('received_at')} AS "_r", ${fields.join(', ')}
      FROM events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2`;
  }

  async read(after: number, limit: number): Promise<FeedPage> {
    const { sources, types } = this.filter;
    const span = await eventSpan(this.store, after, limit);
    if (!span) return { items: [], scannedTo: after, more: false };
    const rows = await this.store.query(this.sql, [after, limit, span.upTo]);
    const items: Item[] = [];
    for (const r of rows) {
      const e = {
        source: String(r.source),
        ceSource: String(r.ce_source),
        id: String(r.id),
        type: String(r.type),
      };
      if ((sources && !sources.includes(e.source)) || (types && !types.includes(e.type))) continue;
      const key = idempotencyKey(e);
      const body: Record<string, unknown> = { idempotency_key: key, seq: Number(r.seq) };
      this.names.forEach((n, i) => {
        body[n] = r[`f${i}`] ?? null;
      });
      items.push({
        seq: Number(r.seq),
        key,
        source: e.source,
        type: e.type,
        id: e.id,
        receivedAt: Math.round(Number(r._r) * 1000),
        text: JSON.stringify(body),
      });
    }
    return endOf(
      rows.map((r) => Number(r.seq)),
      items,
      limit,
      span,
    );
  }
}
