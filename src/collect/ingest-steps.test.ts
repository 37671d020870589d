import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import type { NewEvent } from '../core/event.js';
import {
  cloudEventsSourceStep,
  contractStep,
  erasureStep,
  type IngestStep,
  runSteps,
  storableTimeStep,
} from './ingest-steps.js';

const ev = (over: Partial<NewEvent> = {}): NewEvent => ({
  source: 'web',
  id: '1',
  type: 'page_viewed',
  subject: 's1',
  time: Date.parse('2026-12-03T07:00:00Z'),
  data: '{}',
  receivedAt: Date.parse('2026-12-03T07:00:01Z'),
  ...over,
});

const config = parseConfig(
  'sources:\n  web:\n    writeKeys: [web-key-123]\n    cloudevents: { sources: ["https://shop.example/"] }\n',
);

describe('ingest steps', () => {
  it('run in order, each given what the one before passed on, and stop at the first refusal', () => {
    const seen: string[] = [];
    const tag = (name: string): IngestStep => ({
      name,
      run: (e) => {
        seen.push(`${name}:${e.type}`);
        return { kind: 'ok', event: { ...e, type: `${e.type}+${name}` } };
      },
    });
    const flag: IngestStep = { name: 'flag', run: (e) => ({ kind: 'flag', event: e, violations: ['x'] }) };
    const r = runSteps([tag('a'), flag, tag('b')], ev({ type: 't' }));
    expect(r).toMatchObject({ kind: 'ok', flagged: true, violations: ['x'], event: { type: 't+a+b' } });
    expect(seen).toEqual(['a:t', 'b:t+a']);
    const stopped = runSteps([erasureStep(() => 'erased'), tag('c')], ev());
    expect(stopped).toEqual({ kind: 'reject', reason: 'suppressed', field: 'subject', error: 'erased' });
    expect(seen).toEqual(['a:t', 'b:t+a']);
  });

  it('refuse a CloudEvents source the source does not accept, and take its own or a listed one', () => {
    const step = cloudEventsSourceStep(config);
    expect(step.run(ev({ ceSource: 'https://shop.example/cart' })).kind).toBe('ok');
    expect(step.run(ev({ ceSource: 'web' })).kind).toBe('ok');
    expect(step.run(ev({ ceSource: 'https://evil.example/' }))).toMatchObject({
      kind: 'reject',
      reason: 'forbidden',
      field: 'source',
    });
  });

  it("hold an event to its type's contract and to a time the stores can keep", () => {
    const contracts = new Map([
      ['pay', (_e: NewEvent) => ({ ok: false as const, field: 'data.amount', error: 'amount is required' })],
    ]);
    expect(contractStep(contracts).run(ev({ type: 'pay' }))).toEqual({
      kind: 'reject',
      reason: 'schema',
      field: 'data.amount',
      error: 'amount is required',
    });
    expect(contractStep(contracts).run(ev()).kind).toBe('ok');
    expect(storableTimeStep().run(ev({ time: Date.parse('+010000-01-01T00:00:00Z') }))).toMatchObject({
      kind: 'reject',
      reason: 'envelope',
      field: 'time',
    });
    expect(storableTimeStep().run(ev()).kind).toBe('ok');
  });
});
