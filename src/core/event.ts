/** An event as Panoramix accepts it: the CloudEvents 1.0 envelope, before the store assigns `seq`. */
export interface NewEvent {
  /** The Panoramix source (decided by the write key): it governs auth, mapping, tracking plan and quotas. */
  readonly source: string;
  /**
   * The CloudEvents `source` attribute exactly as sent (any URI-reference); absent: the Panoramix source.
   * The identity of an event is (source, ceSource, id): CloudEvents identifies one by (source, id).
   */
  readonly ceSource?: string;
  readonly id: string;
  readonly type: string;
  /** The entity the event is about (a message id, an order id), or null. */
  readonly subject: string | null;
  /** When it happened, epoch milliseconds. */
  readonly time: number;
  /** The payload, already serialized as JSON text (serialized once, on the way in). */
  readonly data: string;
  /** When Panoramix received it, epoch milliseconds. */
  readonly receivedAt: number;
  /**
   * The CloudEvents attributes without a column of their own (datacontenttype, dataschema and extensions
   * such as traceparent), as JSON text of an object; absent or null: none.
   */
  readonly ceAttributes?: string | null;
}

/** An event as the store holds it. */
export interface StoredEvent extends NewEvent {
  readonly seq: number;
  readonly ceSource: string;
  readonly ceAttributes: string | null;
}

/** The CloudEvents source of an event: as sent, or its Panoramix source when it named none. */
export function ceSourceOf(e: NewEvent): string {
  return e.ceSource ?? e.source;
}

/** An event as stored under a seq. Every field named: a spread copied each field and then changed the shape. */
export function storedEvent(e: NewEvent, seq: number): StoredEvent {
  return {
    source: e.source,
    ceSource: ceSourceOf(e),
    id: e.id,
    type: e.type,
    subject: e.subject,
    time: e.time,
    data: e.data,
    receivedAt: e.receivedAt,
    ceAttributes: e.ceAttributes ?? null,
    seq,
  };
}

/** The JSON shape of a stored event, as the API returns it. */
export interface EventJson {
  seq: number;
  source: string;
  ce_source: string;
  id: string;
  type: string;
  subject: string | null;
  time: string;
  received_at: string;
  data: unknown;
  ce_attributes: Record<string, unknown> | null;
}

export function toEventJson(e: StoredEvent): EventJson {
  return {
    seq: e.seq,
    source: e.source,
    ce_source: e.ceSource,
    id: e.id,
    type: e.type,
    subject: e.subject,
    time: new Date(e.time).toISOString(),
    received_at: new Date(e.receivedAt).toISOString(),
    data: JSON.parse(e.data),
    ce_attributes: e.ceAttributes === null ? null : JSON.parse(e.ceAttributes),
  };
}
