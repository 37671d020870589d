import type { EnvelopeResult } from '../collect/envelope.js';
import { describeJson, toEvent } from '../collect/envelope.js';
import { eventTimeProblem, parseEventTime } from '../core/time.js';

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
    if (m[f] === undefined || m[f] === null || m[f] === '')
      return { ok: false, field: f, error: `${f} is required (a string)` };
    if (typeof m[f] !== 'string')
      return { ok: false, field: f, error: `${f} must be a string, not ${describeJson(m[f])}` };
  }
  const { message_id, event, created_at, id, source: _source, ...rest } = m;
  // Read here, under its own name (the envelope would report it as `time`, a field Mars's senders never
  // wrote), and handed on as epoch milliseconds so it is parsed once.
  const at = created_at === undefined || created_at === null ? undefined : parseEventTime(created_at);
  if (at !== undefined && Number.isNaN(at))
    return { ok: false, field: 'created_at', error: `created_at ${eventTimeProblem(created_at)}` };
  return toEvent(
    {
      id: id ?? `${message_id}:${event}:${created_at ?? ''}`,
      type: event,
      subject: message_id,
      ...(at !== undefined ? { time: at } : {}),
      data: rest,
    },
    source,
    undefined,
    receivedAt,
  );
}
