import { parseEventTime } from '../core/time.js';
import type { EnvelopeResult } from './envelope.js';
import { toEvent } from './envelope.js';

/** Segment's call types and the event type each becomes (track uses its own `event` name). */
export const SEGMENT_CALLS = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];

/** How a Segment message's time is read. */
export interface SegmentTiming {
  /**
   * The batch's own sentAt (analytics-node puts it on the batch, not on each message), used when a message
   * has none of its own.
   */
  readonly batchSentAt?: unknown;
  /**
   * Historical data (/v1/import, a replayed export): the timestamp is taken as it is, never corrected
   * against this receipt.
   */
  readonly historical?: boolean;
}

/**
 * Maps a Segment message onto the envelope: messageId → id, userId/anonymousId → subject,
 * timestamp → time, the event name (track) or the call → type, everything else (context, integrations,
 * properties, traits…) under data.
 *
 * The time is corrected for the sender's clock as Segment's API does: when sentAt is known, the event time is
 * timestamp + (receivedAt − sentAt), since the sender's clock is wrong by the same amount at both instants;
 * the timestamp as sent stays in data as originalTimestamp. A message that already carries receivedAt was
 * received (and corrected) by Segment before: an export replayed here keeps its timestamp.
 */
export function fromSegment(
  input: unknown,
  call: SegmentCall | undefined,
  source: string,
  receivedAt: number,
  timing: SegmentTiming = {},
): EnvelopeResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, field: '', error: 'a Segment message must be a JSON object' };
  }
  const m = input as Record<string, unknown>;
  const kind = (call ?? m.type) as string | undefined;
  if (!kind || !(SEGMENT_CALLS as readonly string[]).includes(kind)) {
    return {
      ok: false,
      field: 'type',
      error: `type must be one of ${SEGMENT_CALLS.join(', ')}, not ${JSON.stringify(kind)}`,
    };
  }
  if (kind === 'track' && (typeof m.event !== 'string' || m.event === '')) {
    return { ok: false, field: 'event', error: 'event is required for a track call (the event name)' };
  }
  const { messageId, userId, anonymousId, timestamp, writeKey: _key, type: _t, ...rest } = m;
  const original = timestamp ?? m.originalTimestamp;
  const sentAt = m.sentAt ?? timing.batchSentAt;
  let time: unknown = original ?? sentAt ?? undefined;
  const corrected =
    !timing.historical && m.receivedAt === undefined && original !== undefined && sentAt !== undefined
      ? skewCorrected(original, sentAt, receivedAt)
      : undefined;
  if (corrected !== undefined) time = corrected;
  const envelope = {
    id: messageId,
    type: kind === 'track' ? m.event : kind,
    subject: userId ?? anonymousId ?? null,
    time,
    data: {
      ...rest,
      ...(userId !== undefined ? { userId } : {}),
      ...(anonymousId !== undefined ? { anonymousId } : {}),
      ...(corrected !== undefined && rest.originalTimestamp === undefined
        ? { originalTimestamp: original }
        : {}),
      ...(corrected !== undefined && rest.sentAt === undefined ? { sentAt } : {}),
      call: kind,
    },
  };
  const r = toEvent(envelope, source, undefined, receivedAt);
  if (!r.ok && r.field === 'time')
    return { ok: false, field: 'timestamp', error: r.error.replace(/^time /, 'timestamp ') };
  if (!r.ok && r.field === 'id')
    return { ok: false, field: 'messageId', error: r.error.replace(/^id /, 'messageId ') };
  return r;
}

// timestamp + (receivedAt − sentAt), in epoch ms; undefined when either time cannot be read (the timestamp
// is then refused or used as it is by the envelope, with its own error).
function skewCorrected(timestamp: unknown, sentAt: unknown, receivedAt: number): number | undefined {
  const t = parseEventTime(timestamp);
  const sent = parseEventTime(sentAt);
  if (Number.isNaN(t) || Number.isNaN(sent)) return undefined;
  return t + (receivedAt - sent);
}
