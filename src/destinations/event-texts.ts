import { Params } from '../store/sql-params.js';
import type { SqlDialect, Store } from '../store/store.js';
import type { DestinationConfig } from './config.js';
import { eventItem } from './payload.js';
import type { Item } from './sender.js';

/**
 * A page of events as destination items, their text written by the store's engine, where its dialect can
 * write it exactly as eventText does (DuckDB): one string and two numbers cross into JavaScript per event
 * instead of ten values that are then joined, and the engine's threads do the joining. Where the engine would
 * write a part otherwise (a control character in a text), the row comes with its fields and JavaScript writes
 * it. Answers undefined where the store cannot (PostgreSQL has no encodeURIComponent): the caller reads events.
 */
export class EventTexts {
  private constructor(
    private readonly store: Store & Required<Pick<Store, 'queryColumns'>>,
    private readonly text: string,
  ) {}

  static of(store: Store): EventTexts | undefined {
    const d = store.dialect;
    if (!store.queryColumns || !d.uriComponent) return undefined;
    return new EventTexts(store as Store & Required<Pick<Store, 'queryColumns'>>, textSql(d, d.uriComponent));
  }

  /** Items of the events after `after` up to `upTo`, at most `limit`, of the filter's sources and types. */
  async read(
    after: number,
    limit: number,
    upTo: number,
    filter: DestinationConfig['filter'],
  ): Promise<{ seqs: number[]; items: Item[] }> {
    const d = this.store.dialect;
    const p = new Params();
    const where = [`seq > ${p.add(after)}`, `seq <= ${p.add(upTo)}`];
    if (filter.sources) where.push(`source IN (${p.list(filter.sources)})`);
    if (filter.types) where.push(`type IN (${p.list(filter.types)})`);
    // The span holds at most `limit` seqs (seqs are dense, but for events retention removed), so the page needs
    // no sort and no LIMIT of its own: the aggregates order what they collect.
    if (upTo - after > limit) throw new Error(`a page spans at most ${limit} seqs, not ${upTo - after}`);
    const page = `SELECT *, ${this.text} AS t FROM events WHERE ${where.join(' AND ')}`;
    // The whole page as one text, a line an event: one string crosses into JavaScript instead of one an event
    // (each costs about a microsecond to convert, more than the engine takes to write it).
    const [body, seqList, receivedList, missing] = await this.store.queryColumns(
      `SELECT ${d.stringAgg('t', "'\n'", 'seq')}, ${d.arrayAgg(`CAST(seq AS ${d.types.double})`, 'seq')},
              ${d.arrayAgg(d.epochSeconds('received_at'), 'seq')}, count(*) - count(t) FROM (${page}) e`,
      p.values,
    );
    const seqs = (seqList?.[0] as number[] | null) ?? [];
    const received = (receivedList?.[0] as number[] | null) ?? [];
    const lines = seqs.length > 0 ? String(body?.[0] ?? '').split('\n') : [];
    // A text the engine could not write (NULL), or a stored payload with a line break in it: this page's
    // items are made one by one instead.
    if (Number(missing?.[0] ?? 0) > 0 || lines.length !== seqs.length) return this.readRows(page, p.values);
    const items: Item[] = new Array(seqs.length);
    for (let i = 0; i < seqs.length; i++)
      items[i] = new TextItem(seqs[i]!, Math.round(received[i]! * 1000), lines[i]!);
    return { seqs, items };
  }

  // The page row by row: the engine's text where it wrote one, eventItem's from the fields where it did not.
  private async readRows(
    page: string,
    params: readonly unknown[],
  ): Promise<{ seqs: number[]; items: Item[] }> {
    const d = this.store.dialect;
    const when = (col: string) => `CASE WHEN t IS NULL THEN ${col} END`;
    const [seq, received, text, source, ceSource, id, type, subject, time, data, ceAttributes] =
      await this.store.queryColumns(
        `SELECT CAST(seq AS ${d.types.double}), ${d.epochSeconds('received_at')}, t,
                ${['source', 'ce_source', 'id', 'type', 'subject'].map(when).join(', ')},
                ${when(d.epochSeconds('time'))}, ${when(`CAST(data AS ${d.types.text})`)},
                ${when(`CAST(ce_attributes AS ${d.types.text})`)}
           FROM (${page}) e ORDER BY seq`,
        params,
      );
    const seqs = seq as number[];
    const items: Item[] = new Array(seqs.length);
    for (let i = 0; i < seqs.length; i++) {
      const receivedAt = Math.round((received![i] as number) * 1000);
      const t = text![i] as string | null;
      items[i] =
        t !== null
          ? new TextItem(seqs[i]!, receivedAt, t)
          : eventItem({
              seq: seqs[i]!,
              source: source![i] as string,
              ceSource: ceSource![i] as string,
              id: id![i] as string,
              type: type![i] as string,
              subject: subject![i] as string | null,
              time: Math.round((time![i] as number) * 1000),
              receivedAt,
              data: data![i] as string,
              ceAttributes: ceAttributes![i] as string | null,
            });
    }
    return { seqs, items };
  }
}

// eventText's JSON in SQL: the same fields in the same order, the key's parts URI-encoded, the stored data and
// CloudEvents attributes spliced in as they are. Any part the engine cannot write exactly is NULL, and so is t.
function textSql(d: SqlDialect, uri: (expr: string) => string): string {
  const key = `${uri('source')} || ':' || CASE WHEN ce_source = source THEN '' ELSE ${uri('ce_source')} || ':' END || ${uri('id')}`;
  const str = (col: string) => d.jsonString(col);
  return `'{"idempotency_key":"' || ${key} || '","seq":' || CAST(seq AS ${d.types.text})
    || ',"source":' || ${str('source')} || ',"ce_source":' || ${str('ce_source')} || ',"id":' || ${str('id')}
    || ',"type":' || ${str('type')} || ',"subject":' || CASE WHEN subject IS NULL THEN 'null' ELSE ${str('subject')} END
    || ',"time":"' || ${d.isoMillis('time')} || '","received_at":"' || ${d.isoMillis('received_at')}
    || '","data":' || CAST(data AS ${d.types.text})
    || ',"ce_attributes":' || coalesce(CAST(ce_attributes AS ${d.types.text}), 'null') || '}'`;
}

/** An item whose text the engine wrote; the fields a dead letter or a template needs are read from it then. */
class TextItem implements Item {
  private fields: { idempotency_key: string; source: string; type: string; id: string } | undefined;

  constructor(
    readonly seq: number,
    readonly receivedAt: number,
    readonly text: string,
  ) {}

  get key(): string {
    return this.parsed().idempotency_key;
  }
  get source(): string {
    return this.parsed().source;
  }
  get type(): string {
    return this.parsed().type;
  }
  get id(): string {
    return this.parsed().id;
  }

  private parsed() {
    this.fields ??= JSON.parse(this.text) as NonNullable<TextItem['fields']>;
    return this.fields;
  }
}
