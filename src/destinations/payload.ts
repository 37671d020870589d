import type { StoredEvent } from '../core/event.js';
import type { Item } from './sender.js';

/**
 * The key a receiver deduplicates on: the same for every delivery of an event, a retry or a replay. An event
 * is one (source, CloudEvents source, id), so the key is those, joined by ':' with each part URI-encoded (a
 * ':' in an id cannot make two events' keys equal); the CloudEvents source is left out when it is the
 * Panoramix source, as for most events: `web:evt-1`.
 */
export function idempotencyKey(e: Pick<StoredEvent, 'source' | 'ceSource' | 'id'>): string {
  const parts = e.ceSource === e.source ? [e.source, e.id] : [e.source, e.ceSource, e.id];
  return parts.map(encodeURIComponent).join(':');
}

/**
 * One event as destinations receive it: the API's event shape plus its idempotency key. Built as text, the
 * stored data spliced in as it is (it is JSON already), so a batch of thousands costs no parse.
 */
export function eventText(e: StoredEvent): string {
  return textOf(e, idempotencyKey(e));
}

// Its text with its key already made (a map(eventText) passes an index as a second argument: not that one).
function textOf(e: StoredEvent, key: string): string {
  return (
    `{"idempotency_key":${JSON.stringify(key)},"seq":${e.seq},"source":${JSON.stringify(e.source)},` +
    `"ce_source":${JSON.stringify(e.ceSource)},"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"subject":${JSON.stringify(e.subject)},` +
    `"time":"${isoTime(e.time)}","received_at":"${isoTime(e.receivedAt)}",` +
    `"data":${e.data},"ce_attributes":${e.ceAttributes ?? 'null'}}`
  );
}

/** An event as an item of a batch. */
export function eventItem(e: StoredEvent): Item {
  const key = idempotencyKey(e);
  return {
    seq: e.seq,
    key,
    source: e.source,
    type: e.type,
    id: e.id,
    receivedAt: e.receivedAt,
    text: textOf(e, key),
  };
}

// The last second formatted: a page's events mostly share their seconds, and a Date per time was most of
// the cost of building an event's text.
let isoSecond = Number.NaN;
let isoPrefix = '';

/** Epoch milliseconds as toISOString() writes them (`2026-12-01T10:00:00.123Z`). */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = new Date(second * 1000).toISOString(); // throws, as toISOString does, on a time out of range
    isoSecond = second;
    isoPrefix = iso.slice(0, -4);
  }
  const frac = ms - second * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/** A subject or routing key with {source} and {type} replaced by the item's. */
export function fillTemplate(template: string, item: Pick<Item, 'source' | 'type'>): string {
  return template.replaceAll('{source}', item.source).replaceAll('{type}', item.type);
}
