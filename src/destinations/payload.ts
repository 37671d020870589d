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
  return (
    `{"idempotency_key":${JSON.stringify(idempotencyKey(e))},"seq":${e.seq},"source":${JSON.stringify(e.source)},` +
    `"ce_source":${JSON.stringify(e.ceSource)},"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"subject":${JSON.stringify(e.subject)},` +
    `"time":"${new Date(e.time).toISOString()}","received_at":"${new Date(e.receivedAt).toISOString()}",` +
    `"data":${e.data},"ce_attributes":${e.ceAttributes ?? 'null'}}`
  );
}

/** An event as an item of a batch. */
export function eventItem(e: StoredEvent): Item {
  return {
    seq: e.seq,
    key: idempotencyKey(e),
    source: e.source,
    type: e.type,
    id: e.id,
    receivedAt: e.receivedAt,
    text: eventText(e),
  };
}

/** A subject or routing key with {source} and {type} replaced by the item's. */
export function fillTemplate(template: string, item: Pick<Item, 'source' | 'type'>): string {
  return template.replaceAll('{source}', item.source).replaceAll('{type}', item.type);
}
