import type { EnvelopeResult } from '../collect/envelope.js';
import { toEvent } from '../collect/envelope.js';

/**
 * Reads a Mars event ({app_id, message_id, event, created_at}) as an envelope: the message id is the subject,
 * the event the type, created_at the time. Mars events carry no id of their own, so the id is
 * message_id:event:created_at: a retried delivery is stored once, a stage really emitted twice is kept twice
 * (and shows as a duplicate in the lifecycle).
 */
export function fromMars(input: unknown, source: string, receivedAt: number): EnvelopeResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, field: '', error: 'a Mars event must be a JSON object' };
  }
  const m = input as Record<string, unknown>;
  for (const f of ['message_id', 'event'] as const) {
    if (typeof m[f] !== 'string' || m[f] === '')
      return { ok: false, field: f, error: `${f} is required (a string)` };
  }
  const { message_id, event, created_at, id, source: _source, ...rest } = m;
  return toEvent(
    {
      id: id ?? `${message_id}:${event}:${created_at ?? ''}`,
      type: event,
      subject: message_id,
      ...(created_at !== undefined ? { time: created_at } : {}),
      data: rest,
    },
    source,
    undefined,
    receivedAt,
  );
}
