import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from './tcp-proxy.js';

// The fault tests trust this proxy to cut and heal; this shows it does, against an echo server.
describe('test TCP proxy', () => {
  const echo = net.createServer((s) => s.on('error', () => {}).pipe(s));
  afterAll(() => new Promise<void>((r) => echo.close(() => r())));

  const roundTrip = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('ping'));
      s.once('data', (d) => {
        s.end();
        resolve(d.toString());
      });
      s.once('error', reject);
      s.once('close', () => reject(new Error('closed')));
    });

  it('passes bytes, cuts open connections, refuses new ones while cut, and heals', async () => {
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const proxy = await startTcpProxy('127.0.0.1', (echo.address() as net.AddressInfo).port);
    expect(await roundTrip(proxy.port)).toBe('ping');

    const held = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => held.once('connect', r));
    const closed = new Promise((r) => held.once('close', r));
    held.on('error', () => {});
    proxy.cut();
    await closed;
    await expect(roundTrip(proxy.port)).rejects.toThrow();

    proxy.heal();
    expect(await roundTrip(proxy.port)).toBe('ping');
    expect(proxy.url('amqp://guest:guest@localhost:5672/v')).toBe(
      `amqp://guest:guest@127.0.0.1:${proxy.port}/v`,
    );
    await proxy.close();
  });
});
