import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/core/token-bucket.js';
import { AnonymousBound } from '../src/quarantine/anonymous-bound.js';
import type { Runtime } from '../src/runtime.js';
import { testApp } from './support/runtime.js';

const KEY = 'wk_bound_web_key';
let app: FastifyInstance;
let runtime: Runtime;
const post = (payload: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/events',
    payload,
    headers: { 'content-type': 'application/json', ...headers },
  });
const held = async (source?: string) =>
  (await runtime.quarantine.list({ limit: 1000, ...(source ? { source } : {}) })).length;

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server: { quarantineAnonymousPerMinute: 5 }
sources: { web: { writeKeys: [${KEY}] } }
`));
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

describe('the quarantine bound for requests without a write key', () => {
  it('keeps at most the bound of anonymous inputs per source, tells the sender anyway, and counts the rest', async () => {
    // Twenty events naming sources nobody declared: each is refused and named in the answer, five are kept.
    const events = Array.from({ length: 20 }, (_, i) => ({ id: `e${i}`, type: 't', source: `made-up-${i}` }));
    const res = await post(JSON.stringify(events));
    expect(res.statusCode).toBe(400);
    expect(res.json().rejected).toHaveLength(20);
    expect(await held()).toBe(5);
    // Unparseable bodies without a key have a bucket of their own (source "unknown").
    for (let i = 0; i < 8; i++) expect((await post(`{broken ${i}`)).statusCode).toBe(400);
    expect(await held('unknown')).toBe(5);
    // With a write key nothing is bounded: every broken body is kept.
    for (let i = 0; i < 8; i++)
      expect((await post(`{broken ${i}`, { authorization: `Bearer ${KEY}` })).statusCode).toBe(400);
    expect(await held('web')).toBe(8);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('panoramix_quarantine_dropped_total{source="undeclared"} 15');
    expect(metrics).toContain('panoramix_quarantine_dropped_total{source="unknown"} 3');
  });

  it('refills at the bound per minute; a declared source is not bounded', () => {
    const dropped: string[] = [];
    const bound = new AnonymousBound(60, new Set(['web']), (s) => dropped.push(s));
    const t0 = 1_000_000;
    for (let i = 0; i < 60; i++) expect(bound.admit(`made-up-${i}`, t0)).toBe(true);
    expect(bound.admit('another', t0)).toBe(false);
    expect(bound.admit(undefined, t0)).toBe(true);
    expect(bound.admit('undeclared-again', t0 + 999)).toBe(false);
    expect(bound.admit('undeclared-again', t0 + 1000)).toBe(true); // one a second
    for (let i = 0; i < 200; i++) expect(bound.admit('web', t0)).toBe(true);
    expect(dropped).toEqual(['undeclared', 'undeclared']);
    const b = new TokenBucket(10, 2, t0);
    expect(b.take(10, t0)).toBe(true);
    expect(b.waitSeconds(3, t0)).toBe(1.5);
    expect(b.waitSeconds(11, t0)).toBe(Number.POSITIVE_INFINITY);
  });
});
