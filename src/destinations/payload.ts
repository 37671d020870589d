import type { StoredEvent } from '../core/event.js';

/**
 * The key a receiver deduplicates on: the same for every delivery of an event, a retry or a replay. An id is
 * unique within its source only, so the key is source and id together.
 */
export function idempotencyKey(e: StoredEvent): string {
  return `${e.source}:${e.id}`;
}

/**
 * One event as destinations receive it: the API's event shape plus its idempotency key. Built as text, the
 * stored data spliced in as it is (it is JSON already), so a batch of thousands costs no parse.
 */
export function eventText(e: StoredEvent): string {
  return (
    `{"idempotency_key":${JSON.stringify(idempotencyKey(e))},"seq":${e.seq},"source":${JSON.stringify(e.source)},` +
    `"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"subject":${JSON.stringify(e.subject)},` +
    `"time":"${new Date(e.time).toISOString()}","received_at":"${new Date(e.receivedAt).toISOString()}",` +
    `"data":${e.data}}`
  );
}

/** A subject or routing key with {source} and {type} replaced by the event's. */
export function fillTemplate(template: string, e: StoredEvent): string {
  return template.replaceAll('{source}', e.source).replaceAll('{type}', e.type);
}
