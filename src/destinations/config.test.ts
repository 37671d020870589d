import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { retryAfter } from './webhook.js';

describe('destinations configuration', () => {
  it('reads durations and sizes, with defaults', () => {
    const c = parseConfig(`destinations:
  hook:
    webhook: { url: "http://127.0.0.1:9/x", timeout: 2s }
    batch: { bytes: 64kb }
`);
    expect(c.destinations.hook).toMatchObject({
      webhook: { timeout: 2000, format: 'json', headers: {} },
      batch: { count: 500, bytes: 65536, wait: 200 },
      retry: { initial: 500, max: 300_000 },
      pauseAfter: 86_400_000,
      start: 'latest',
    });
  });

  it('needs exactly one kind, and names the line of a mistake', () => {
    expect(() => parseConfig('destinations:\n  hook:\n    batch: { count: 1 }\n')).toThrow(
      /exactly one of webhook, nats, rabbitmq, kafka/,
    );
    expect(() => parseConfig('destinations:\n  hook:\n    webhook: { url: "ftp://x" }\n')).toThrow(
      /:3:.*http:\/\/ or https:\/\//,
    );
    expect(() =>
      parseConfig('destinations:\n  hook:\n    webhook: { url: "http://x" }\n    pauseAfter: soon\n'),
    ).toThrow(/duration/);
  });
});

describe('Retry-After', () => {
  it('is seconds or an HTTP date', () => {
    expect(retryAfter('3')).toBe(3000);
    expect(retryAfter('Thu, 03 Dec 2026 10:00:05 GMT', Date.parse('2026-12-03T10:00:00Z'))).toBe(5000);
    expect(retryAfter('soon')).toBeUndefined();
    expect(retryAfter(null)).toBeUndefined();
  });
});

describe('broker destinations configuration', () => {
  it('reads each kind', () => {
    const c = parseConfig(`destinations:
  a: { nats: { url: "nats://127.0.0.1:4222", subject: "x.{type}" } }
  b: { rabbitmq: { url: "amqp://127.0.0.1", exchange: ex } }
  c: { kafka: { brokers: ["127.0.0.1:9092"], topic: t, timeout: 5s } }
`);
    expect(c.destinations.a!.nats).toEqual({
      url: 'nats://127.0.0.1:4222',
      subject: 'x.{type}',
      jetstream: false,
      timeout: 10_000,
    });
    expect(c.destinations.b!.rabbitmq).toEqual({
      url: 'amqp://127.0.0.1',
      exchange: 'ex',
      routingKey: '{type}',
      timeout: 10_000,
    });
    expect(c.destinations.c!.kafka).toEqual({ brokers: ['127.0.0.1:9092'], topic: 't', timeout: 5000 });
    expect(() => parseConfig('destinations:\n  a: { nats: { url: "x", subject: s } }\n')).toThrow(
      /nats:\/\//,
    );
  });
});
