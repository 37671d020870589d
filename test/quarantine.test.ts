import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { loadConfig } from '../src/config/load.js';
import { replayQuarantine } from '../src/quarantine/replay.js';
import { createApp } from '../src/serve/app.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { CLI, exited, spawnCli } from './support/process.js';
import { tempDir } from './support/temp.js';

const BROKEN = `store: { path: ./store.duckdb }\nsources:\n  mars: {}\n  web: {}\n`;
const FIXED = `store: { path: ./store.duckdb }\nsources:\n  mars:\n    mapping: { id: message_id, type: event, subject: message_id, time: created_at }\n  web: {}\n`;
const mars = (i: number) => ({
  source: 'mars',
  app_id: 'chat',
  message_id: `m${i}`,
  event: 'MESSAGE_CREATED',
  created_at: '2026-11-24T10:00:00Z',
});

async function open(dir: string, yaml: string) {
  fs.writeFileSync(path.join(dir, 'panoramix.yaml'), yaml);
  const { config } = loadConfig(path.join(dir, 'panoramix.yaml'));
  const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
  return { runtime, app: await createApp(runtime) };
}

describe('tracking plan', () => {
  it('rejects, quarantines or flags by policy, and counts every input exactly', async () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'order.schema.json'),
      JSON.stringify({
        type: 'object',
        required: ['amount'],
        properties: { amount: { type: 'number', minimum: 0 } },
      }),
    );
    const { runtime, app } = await open(
      dir,
      `store: { path: ./store.duckdb }
sources: { web: {} }
schemas:
  unknownTypes: quarantine
  types:
    order_placed: { file: order.schema.json }
    page_viewed: { schema: { type: object, required: [path] }, policy: flag }
    signup: { schema: { type: object, required: [email] }, policy: quarantine }
`,
    );
    const lines = [
      { id: 'ok', type: 'order_placed', data: { amount: 5 } },
      { id: 'neg', type: 'order_placed', data: { amount: -1 } },
      { id: 'flagged', type: 'page_viewed', data: {} },
      { id: 'held', type: 'signup', data: {} },
      { id: 'mystery', type: 'teleported', data: {} },
    ].map((e) => JSON.stringify({ ...e, source: 'web' }));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: [...lines, '{oops'].join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, quarantined: 2 });
    expect(
      body.rejected.map((r: { id?: string; field?: string; error: string }) => [
        r.id,
        r.field,
        r.error.split(' (')[0],
      ]),
    ).toEqual([
      ['neg', 'data.amount', 'data.amount must be >= 0'],
      [undefined, undefined, "line 6 is not valid JSON: Expected property name or '}' in JSON at position 1"],
    ]);
    const stored = (await runtime.store.query('SELECT id FROM events ORDER BY id')).map((r) => r.id);
    expect(stored).toEqual(['flagged', 'ok']);
    expect(await runtime.store.query('SELECT id, violations FROM panoramix_flags')).toEqual([
      { id: 'flagged', violations: '["data must have required property \'path\'"]' },
    ]);
    // 6 inputs: 2 stored, 4 held (schema reject, schema quarantine, unknown type, unparseable).
    expect(await runtime.quarantine.heldByReason()).toEqual({ schema: 2, unknown_type: 1, unparseable: 1 });
    // A request of held inputs only was handled, not refused: 200 with the count (it answered 400 "no events").
    const alone = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { id: 'held-alone', type: 'signup', source: 'web', data: {} },
    });
    expect([alone.statusCode, alone.json()]).toEqual([
      200,
      { accepted: 0, duplicates: 0, rejected: [], quarantined: 1 },
    ]);
    await app.close();
    await runtime.close();
  });
});

describe('quarantine', () => {
  it('ends a mixed stream with every input stored or quarantined, and replays fixed ones once', async () => {
    const dir = tempDir();
    let { runtime, app } = await open(dir, BROKEN);
    const lines = [
      JSON.stringify({ id: 'good-1', type: 't', source: 'web' }),
      '{"id": "broken-json", ',
      JSON.stringify({ id: 'no-type', source: 'web' }),
      JSON.stringify({ id: 'x', type: 't', source: 'nowhere' }),
      JSON.stringify(mars(1)),
      JSON.stringify(mars(2)),
      JSON.stringify({ id: 'good-2', type: 't', source: 'web' }),
    ];
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: lines.join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.json()).toMatchObject({ accepted: 2 });
    expect(res.json().rejected).toHaveLength(5);
    const whole = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: '{"not": json',
      headers: { 'content-type': 'application/json' },
    });
    expect(whole.statusCode).toBe(400);
    // Every input is accounted for: 2 stored + 6 held (5 lines + 1 whole body).
    const held = await runtime.quarantine.list();
    expect(held).toHaveLength(6);
    expect(await runtime.quarantine.heldByReason()).toEqual({
      envelope: 3,
      unknown_source: 1,
      unparseable: 2,
    });
    expect((await app.inject('/api/q/stats')).json().quarantine.held).toEqual({
      envelope: 3,
      unknown_source: 1,
      unparseable: 2,
    });
    expect((await app.inject('/metrics')).body).toMatch(/panoramix_quarantine_held\{reason="envelope"\} 3/);
    const item = held.find((h) => h.raw.includes('m1'))!;
    expect(item).toMatchObject({
      source: 'mars',
      reason: 'envelope',
      field: 'id',
      raw: lines[4],
      rawEncoding: 'utf8',
      times: 1,
    });
    // The same bad input again is the same row, seen twice.
    await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: lines[4]!,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect((await runtime.quarantine.get(item.id))!.times).toBe(2);

    // Replay before the fix changes nothing; after it, the Mars events are stored, once, even replayed twice.
    expect(await replayQuarantine(runtime, { source: 'mars' })).toEqual({
      replayed: 0,
      duplicates: 0,
      stillFailing: 2,
    });
    await app.close();
    await runtime.close();
    ({ runtime, app } = await open(dir, FIXED));
    expect(await replayQuarantine(runtime, { source: 'mars' })).toEqual({
      replayed: 2,
      duplicates: 0,
      stillFailing: 0,
    });
    expect(await replayQuarantine(runtime, { source: 'mars' })).toEqual({
      replayed: 0,
      duplicates: 0,
      stillFailing: 0,
    });
    const stored = await runtime.store.query(
      "SELECT id, type, subject FROM events WHERE source = 'mars' ORDER BY id",
    );
    expect(stored).toEqual([
      { id: 'm1', type: 'MESSAGE_CREATED', subject: 'm1' },
      { id: 'm2', type: 'MESSAGE_CREATED', subject: 'm2' },
    ]);
    expect(await runtime.quarantine.heldByReason()).toEqual({
      envelope: 1,
      unknown_source: 1,
      unparseable: 2,
    });
    const discard = await app.inject({
      method: 'POST',
      url: '/v1/quarantine/discard',
      payload: { reason: 'unparseable' },
      headers: { 'content-type': 'application/json' },
    });
    expect(discard.json()).toEqual({ discarded: 2 });
    await app.close();
    await runtime.close();
  });

  it('stores each event once when a replay is killed with SIGKILL and run again', async () => {
    const dir = tempDir();
    const { runtime, app } = await open(dir, BROKEN);
    const n = 3000;
    const body = Array.from({ length: n }, (_, i) => JSON.stringify(mars(i))).join('\n');
    for (let i = 0; i < n; i += 1000) {
      const part = body
        .split('\n')
        .slice(i, i + 1000)
        .join('\n');
      await app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: part,
        headers: { 'content-type': 'application/x-ndjson' },
      });
    }
    expect((await runtime.quarantine.heldByReason()).envelope).toBe(n);
    await app.close();
    await runtime.close();
    fs.writeFileSync(path.join(dir, 'panoramix.yaml'), FIXED);
    const cfg = path.join(dir, 'panoramix.yaml');
    const child = spawnCli(['quarantine', 'replay', '--config', cfg]);
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    await exited(child);
    // Twice in loaded CI runs the rerun found the file still locked ("Conflicting lock is held in … (PID n)")
    // just after the kill, and never when run alone; the holder's pid against the killed child's and this
    // process's says whose lock it was. The rerun waits up to 10 s for the lock to go, and fails beyond that.
    let out = '';
    for (let attempt = 0; ; attempt++) {
      try {
        out = execFileSync(process.execPath, [CLI, 'quarantine', 'replay', '--config', cfg], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        break;
      } catch (err) {
        const stderr = String((err as { stderr?: unknown }).stderr ?? '');
        if (!/Conflicting lock/.test(stderr) || attempt >= 20) throw err;
        process.stderr.write(
          `[quarantine test] store still locked after the kill (child ${child.pid}, test ${process.pid}): ${stderr.trim()}\n`,
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const second = JSON.parse(out) as { replayed: number; duplicates: number; stillFailing: number };
    expect(second.stillFailing).toBe(0);
    const store = await DuckDbStore.open({ path: path.join(dir, 'store.duckdb') });
    const [{ n: stored, d: distinct }] = (await store.query(
      "SELECT count(*) AS n, count(DISTINCT id) AS d FROM events WHERE source = 'mars'",
    )) as [{ n: number; d: number }];
    const [{ h }] = (await store.query(
      "SELECT count(*) AS h FROM panoramix_quarantine WHERE status = 'held'",
    )) as [{ h: number }];
    await store.close();
    expect({ stored, distinct, held: h }).toEqual({ stored: n, distinct: n, held: 0 });
  });
});
