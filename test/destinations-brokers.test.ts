import { jetstreamManager } from '@nats-io/jetstream';
import { type Msg, connect as natsConnect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { destinationsProject, until, webEvent } from './support/destinations.js';
import { describeWith } from './support/services.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const tag = () => `pmxdest${process.pid}${Date.now() % 1_000_000}`;

describeWith('nats', 'NATS destinations', (url) => {
  it('publishes each event on its subject with its key; JetStream drops a replay by Nats-Msg-Id', async () => {
    const t = tag();
    const nc = await natsConnect({ servers: url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: t.toUpperCase(),
      subjects: [`${t}.js.>`],
      duplicate_window: 60_000_000_000,
    });
    const got: Msg[] = [];
    const sub = nc.subscribe(`${t}.plain.>`, {
      callback: (_err, m) => {
        got.push(m);
      },
    });
    await nc.flush();
    const { runtime, admin } = await destinationsProject(`  plain:
    nats: { url: "${url}", subject: "${t}.plain.{type}" }
    batch: { count: 10, wait: 10ms }
  stream:
    nats: { url: "${url}", subject: "${t}.js.{source}", jetstream: true }
    batch: { count: 10, wait: 10ms }
`);
    try {
      await runtime.committer.submit([webEvent('1', 'a'), webEvent('2', 'b'), webEvent('3', 'a')]);
      await until('3 messages', () => got.length === 3);
      expect(got.map((m) => m.subject)).toEqual([`${t}.plain.a`, `${t}.plain.b`, `${t}.plain.a`]);
      expect(got.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(['web:1', 'web:2', 'web:3']);
      expect(got.map((m) => (m.json() as { idempotency_key: string }).idempotency_key)).toEqual([
        'web:1',
        'web:2',
        'web:3',
      ]);
      const stored = async () => (await jsm.streams.info(t.toUpperCase())).state.messages;
      await until('the stream', async () => (await stored()) === 3);
      await until('the cursor', async () => (await admin.list()).every((v) => v.lagEvents === 0));
      await admin.replay('stream', { fromSeq: 1 });
      await until('the replay', async () => (await admin.list()).every((v) => v.replay === null));
      expect(await stored()).toBe(3); // sent again, stored once
    } finally {
      await runtime.close();
      sub.unsubscribe();
      await jsm.streams.delete(t.toUpperCase()).catch(() => undefined);
      await nc.close();
    }
  });
});

describeWith('rabbitmq', 'RabbitMQ destinations', (url) => {
  it('publishes confirmed messages to an exchange, and loses nothing when the link is cut', async () => {
    const t = tag();
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    await ch.assertExchange(`${t}.x`, 'topic', { durable: false, autoDelete: false });
    await ch.assertQueue(`${t}.q`, { durable: false, autoDelete: false });
    await ch.bindQueue(`${t}.q`, `${t}.x`, '#');
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume(`${t}.q`, (m) => m && got.push(m), { noAck: true });
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5672));
    const { runtime, admin } = await destinationsProject(`  rabbit:
    rabbitmq: { url: "${proxy.url(url)}", exchange: ${t}.x, routingKey: "orders.{type}", timeout: 2s }
    batch: { count: 5, wait: 10ms }
    retry: { initial: 50ms, max: 200ms }
`);
    try {
      await runtime.committer.submit([webEvent('1', 'a'), webEvent('2', 'b')]);
      await until('2 messages', () => got.length === 2);
      expect(got.map((m) => m.fields.routingKey)).toEqual(['orders.a', 'orders.b']);
      expect(got.map((m) => m.properties.messageId)).toEqual(['web:1', 'web:2']);
      expect(got.map((m) => m.properties.deliveryMode)).toEqual([2, 2]);
      proxy.cut();
      await runtime.committer.submit([webEvent('3'), webEvent('4'), webEvent('5')]);
      await until('a failure', async () => (await admin.list())[0]!.failingSince !== null);
      proxy.heal();
      await until('the rest', async () => (await admin.list())[0]!.lagEvents === 0);
      await until('5 distinct messages', () => new Set(got.map((m) => m.properties.messageId)).size === 5);
      expect([...new Set(got.map((m) => m.properties.messageId))]).toEqual([
        'web:1',
        'web:2',
        'web:3',
        'web:4',
        'web:5',
      ]);
    } finally {
      await runtime.close();
      await proxy.close();
      await ch.deleteQueue(`${t}.q`).catch(() => undefined);
      await ch.deleteExchange(`${t}.x`).catch(() => undefined);
      await conn.close();
    }
  });
});

describe('Kafka destinations', () => {
  it('are configured (untested against a live broker: none runs on these machines)', async () => {
    const { runtime, admin } = await destinationsProject(`  k:
    kafka: { brokers: ["127.0.0.1:1"], topic: events, timeout: 300ms }
    retry: { initial: 50ms, max: 100ms }
`);
    try {
      await runtime.committer.submit([webEvent('1')]);
      // No broker on port 1: the attempt fails and is retried, never dead-lettered.
      await until('a failure', async () => (await admin.list())[0]!.failingSince !== null);
      expect((await admin.list())[0]).toMatchObject({ kind: 'kafka', deadLetters: 0, lagEvents: 1 });
    } finally {
      await runtime.close();
    }
  });
});
