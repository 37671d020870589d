import type { StoredEvent } from '../core/event.js';

/**
 * The key a receiver deduplicates on: the same for every delivery of an event, a retry or a replay. An event
 * is one (source, CloudEvents source, id), so the key is those, joined by ':' with each part URI-encoded (a
 * ':' in an id cannot make two events' keys equal); the CloudEvents source is left out when it is the
 * Panoramix source, as for most events: `web:evt-1`.
 */
export function idempotencyKey(e: StoredEvent): string {
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

/** A subject or routing key with {source} and {type} replaced by the event's. */
export function fillTemplate(template: string, e: StoredEvent): string {
  return template.replaceAll('{source}', e.source).replaceAll('{type}', e.type);
}
