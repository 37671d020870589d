import type { EnvelopeResult } from './envelope.js';
import { toEvent } from './envelope.js';

/** Segment's call types and the event type each becomes (track uses its own `event` name). */
export const SEGMENT_CALLS = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];

/**
 * Maps a Segment message onto the envelope: messageId → id, userId/anonymousId → subject,
 * timestamp → time, the event name (track) or the call → type, everything else under data.
 */
export function fromSegment(
  input: unknown,
  call: SegmentCall | undefined,
  source: string,
  receivedAt: number,
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
  const {
    messageId,
    userId,
    anonymousId,
    timestamp,
    originalTimestamp,
    sentAt,
    writeKey: _key,
    type: _t,
    ...rest
  } = m;
  const envelope = {
    id: messageId,
    type: kind === 'track' ? m.event : kind,
    subject: userId ?? anonymousId ?? null,
    time: timestamp ?? originalTimestamp ?? sentAt ?? undefined,
    data: {
      ...rest,
      ...(userId !== undefined ? { userId } : {}),
      ...(anonymousId !== undefined ? { anonymousId } : {}),
      call: kind,
    },
  };
  const r = toEvent(envelope, source, undefined, receivedAt);
  if (!r.ok && r.field === 'id')
    return { ok: false, field: 'messageId', error: r.error.replace(/^id /, 'messageId ') };
  return r;
}
