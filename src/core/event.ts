/** An event as Panoramix accepts it: the CloudEvents 1.0 envelope, before the store assigns `seq`. */
export interface NewEvent {
  readonly source: string;
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
}

/** An event as the store holds it. */
export interface StoredEvent extends NewEvent {
  readonly seq: number;
}

/** The JSON shape of a stored event, as the API returns it. */
export interface EventJson {
  seq: number;
  source: string;
  id: string;
  type: string;
  subject: string | null;
  time: string;
  received_at: string;
  data: unknown;
}

export function toEventJson(e: StoredEvent): EventJson {
  return {
    seq: e.seq,
    source: e.source,
    id: e.id,
    type: e.type,
    subject: e.subject,
    time: new Date(e.time).toISOString(),
    received_at: new Date(e.receivedAt).toISOString(),
    data: JSON.parse(e.data),
  };
}
