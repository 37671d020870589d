import { describe, expect, it } from 'vitest';
import { type ConnectionState, Health, initialConnectionState } from './health.js';
import { Telemetry } from './telemetry.js';

describe('Health', () => {
  it('is ok when every part is up, degraded when one works in part, unhealthy when one is down', async () => {
    const health = new Health();
    let second: 'up' | 'degraded' | 'down' = 'up';
    health.add('first', () => ({ status: 'up' }));
    health.add('second', async () => ({ status: second, detail: { n: 1 } }));
    expect(await health.report()).toEqual({
      status: 'ok',
      ok: true,
      checks: [
        { name: 'first', ok: true, status: 'up' },
        { name: 'second', ok: true, status: 'up', detail: { n: 1 } },
      ],
    });
    second = 'degraded';
    expect(await health.report()).toMatchObject({ status: 'degraded', ok: true });
    second = 'down';
    expect(await health.report()).toMatchObject({ status: 'unhealthy', ok: false });
  });

  it('reports a check that throws as its part down, with the error, and keeps the others', async () => {
    const health = new Health();
    health.add('broken', () => {
      throw new Error('no route to host');
    });
    const remove = health.add('gone', () => ({ status: 'down' }));
    remove();
    health.add('fine', () => ({ status: 'up' }));
    const report = await health.report();
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      {
        name: 'broken',
        ok: false,
        status: 'down',
        detail: { error: 'no route to host' },
        lastError: 'no route to host',
      },
      { name: 'fine', ok: true, status: 'up' },
    ]);
  });

  it("reports a connection's state in /status and as the up gauge and the reconnect counter", async () => {
    const health = new Health();
    const telemetry = new Telemetry(health);
    const state: ConnectionState = initialConnectionState();
    health.addConnection(
      'rabbitmq orders',
      () => state,
      () => ({ queue: 'orders' }),
    );
    state.lastError = 'ECONNREFUSED';
    state.nextRetryAt = '2026-12-03T07:00:00.000Z';
    expect((await health.report()).checks[0]).toEqual({
      name: 'rabbitmq orders',
      ok: false,
      status: 'down',
      detail: { queue: 'orders' },
      lastError: 'ECONNREFUSED',
      nextRetryAt: '2026-12-03T07:00:00.000Z',
      reconnects: 0,
    });
    let metrics = await telemetry.registry.metrics();
    expect(metrics).toMatch(/panoramix_connection_up\{connection="rabbitmq orders"\} 0/);
    Object.assign(state, { status: 'up', nextRetryAt: null, reconnects: 2 });
    metrics = await telemetry.registry.metrics();
    expect(metrics).toMatch(/panoramix_connection_up\{connection="rabbitmq orders"\} 1/);
    expect(metrics).toMatch(/panoramix_connection_reconnects_total\{connection="rabbitmq orders"\} 2/);
    expect((await health.report()).status).toBe('ok');
  });
});
