import { describe, expect, it } from 'vitest';
import { type StoredEvent, toEventJson } from '../core/event.js';
import { eventText, idempotencyKey, isoTime } from './payload.js';

const e = (over: Partial<StoredEvent> = {}): StoredEvent => ({
  seq: 7,
  source: 'web',
  ceSource: 'web',
  id: 'evt-1',
  type: 'order_accepted',
  subject: 'o-1',
  time: Date.parse('2026-12-01T10:00:00Z'),
  receivedAt: Date.parse('2026-12-01T10:00:01Z'),
  data: '{"a":[1,"x"]}',
  ceAttributes: '{"traceparent":"00-1"}',
  ...over,
});

describe('what destinations receive', () => {
  it("is the API's event shape plus its idempotency key", () => {
    expect(JSON.parse(eventText(e()))).toEqual({ idempotency_key: 'web:evt-1', ...toEventJson(e()) });
    expect(JSON.parse(eventText(e({ ceAttributes: null, subject: null })))).toMatchObject({
      ce_attributes: null,
      subject: null,
    });
  });

  it('has a key per event identity: a CloudEvents source or a colon in an id cannot make two equal', () => {
    expect(idempotencyKey(e())).toBe('web:evt-1');
    const keys = [
      e({ ceSource: 'x', id: 'y' }),
      e({ id: 'x:y' }),
      e({ ceSource: 'https://shop.example.com/a', id: 'y' }),
      e({ ceSource: 'x:y', id: 'z' }),
      e({ ceSource: 'x', id: 'y:z' }),
    ].map(idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[2]).toBe('web:https%3A%2F%2Fshop.example.com%2Fa:y');
  });
});

describe('isoTime', () => {
  it('writes what toISOString writes, across seconds, before 1970 and after 9999', () => {
    const times = [0, 1, 9, 10, 99, 100, 999, 1000, -1, -999, -1000, -1001, 1764583200123, 1764583200999];
    times.push(1764583201000, 1764583200500, Date.parse('+010000-01-01T00:00:00.007Z'), -62198755200001);
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });
});
