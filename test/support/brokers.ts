import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import type { ServiceName } from './services.js';

/** A broker under test: the source's config block (through `via`, e.g. a test's proxy), a publisher, and cleanup. */
export interface Broker {
  block(tag: string, via?: string): string;
  publisher(tag: string): Promise<{ send(body: string): Promise<void>; close(): Promise<void> }>;
}

/** The brokers every broker-source test runs against, by the service that holds each URL. */
export const BROKERS: Record<Extract<ServiceName, 'rabbitmq' | 'nats' | 'mqtt'>, (url: string) => Broker> = {
  rabbitmq: (url) => ({
    block: (tag, via = url) => `rabbitmq: { url: "${via}", queue: ${tag}, prefetch: 50, batchMs: 20 }`,
    async publisher(tag) {
      const conn = await amqp.connect(url);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(tag, { durable: true });
      return {
        send: async (body) => {
          ch.sendToQueue(tag, Buffer.from(body), { persistent: true });
          await ch.waitForConfirms();
        },
        close: async () => {
          await ch.deleteQueue(tag);
          await conn.close();
        },
      };
    },
  }),
  nats: (url) => ({
    block: (tag, via = url) =>
      `nats: { url: "${via}", stream: ${tag.toUpperCase()}, subjects: [${tag}.in], batch: 50, batchMs: 20, ackWaitSeconds: 3 }`,
    async publisher(tag) {
      const nc = await natsConnect({ servers: url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams
        .info(tag.toUpperCase())
        .catch(() => jsm.streams.add({ name: tag.toUpperCase(), subjects: [`${tag}.in`] }));
      const js = jetstream(nc);
      return {
        send: async (body) => {
          await js.publish(`${tag}.in`, body);
        },
        close: async () => {
          await jsm.streams.delete(tag.toUpperCase()).catch(() => undefined);
          await nc.close();
        },
      };
    },
  }),
  mqtt: (url) => ({
    block: (tag, via = url) =>
      `mqtt: { url: "${via}", topics: [${tag}/in], clientId: ${tag}-consumer, batch: 50, batchMs: 1 }`,
    async publisher(tag) {
      const client = await mqtt.connectAsync(url, { clientId: `${tag}-producer` });
      return {
        send: async (body) => {
          await client.publishAsync(`${tag}/in`, body, { qos: 1 });
        },
        close: async () => {
          await client.endAsync();
        },
      };
    },
  }),
};
