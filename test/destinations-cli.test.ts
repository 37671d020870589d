import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, freePort, spawnCli, waitForHttp } from './support/process.js';
import { type Receiver, startReceiver } from './support/receiver.js';
import { tempDir } from './support/temp.js';

const TOKEN = 'rt_destinations_test';
const ADMIN = 'at_destinations_test';
const KEY = 'wk_destinations_test';

async function cli(args: string[]): Promise<{ code: number | string; out: string }> {
  const p = spawnCli(args);
  const code = await exited(p);
  return { code, out: p.output() };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('destinations end to end (panoramix start, the CLI, the API)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('loses nothing when SIGKILLed between delivery and cursor; duplicates carry the same keys', {
    timeout: 150_000,
  }, async () => {
    const r: Receiver = await startReceiver((_i, req) =>
      req.events.some((e) => e.id === 'bad') ? { status: 422, body: 'bad sku' } : { status: 200 },
    );
    cleanups.push(() => r.close());
    const dir = tempDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const cfg = path.join(dir, 'panoramix.yaml');
    fs.writeFileSync(
      cfg,
      `store: { path: ./store.duckdb }
server: { port: ${port}, readTokens: [${TOKEN}], adminTokens: [${ADMIN}] }
sources: { web: { writeKeys: [${KEY}] } }
destinations:
  hook:
    webhook: { url: "${r.url}" }
    batch: { count: 1000, wait: 50ms }
`,
    );
    const post = (ids: string[]) =>
      fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(ids.map((id) => ({ id, type: 'order_accepted', data: { id } }))),
      });
    const start = async (env: NodeJS.ProcessEnv = {}) => {
      const p = spawnCli(['start', '--config', cfg], env);
      cleanups.push(async () => {
        p.kill('SIGTERM');
        await exited(p);
      });
      await waitForHttp(`${base}/status`, p);
      return p;
    };

    const first = await start({ PANORAMIX_FAILPOINT: 'destination.delivered' });
    expect((await post(['a', 'b', 'c'])).status).toBe(200);
    expect(await exited(first)).toBe('SIGKILL'); // the receiver answered 200; the cursor never moved
    expect(r.delivered().map((e) => e.id)).toEqual(['a', 'b', 'c']);

    await start();
    await waitFor('the redelivery', () => r.delivered().length === 6);
    expect((await post(['d', 'bad'])).status).toBe(200);
    await waitFor('the dead letter', () => r.requests.length === 3);
    expect((await post(['e'])).status).toBe(200);
    await waitFor('e', () => r.delivered().some((e) => e.id === 'e'));
    const keys = r.delivered().map((e) => e.idempotency_key);
    expect(keys).toEqual(['web:a', 'web:b', 'web:c', 'web:a', 'web:b', 'web:c', 'web:e']);

    // The API needs a token; the CLI goes through it with --url.
    expect((await fetch(`${base}/v1/destinations`)).status).toBe(401);
    // Reading takes a read token; pausing, resuming and replaying the admin scope.
    const reader = ['--config', cfg, '--url', base, '--token', TOKEN];
    const remote = ['--config', cfg, '--url', base, '--token', ADMIN];
    await waitFor('the cursor after e', async () => {
      const res = await fetch(`${base}/v1/destinations`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return (
        ((await res.json()) as { destinations: { lagEvents: number }[] }).destinations[0]!.lagEvents === 0
      );
    }); // it moves just after the receiver's 200
    const list = await cli(['destinations', 'list', ...reader, '--format', 'json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({ name: 'hook', kind: 'webhook', lag_events: 0, dead_letters: 2, state: 'ok' }),
    ]);
    const dead = await cli(['destinations', 'dead-letters', 'hook', ...reader, '--format', 'json']);
    expect(JSON.parse(dead.out)).toEqual([
      expect.objectContaining({ id: 'bad', status: 422, response: 'bad sku' }),
      expect.objectContaining({ id: 'd', status: 422, response: 'bad sku' }),
    ]);

    const refused = await cli(['destinations', 'pause', 'hook', ...reader]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('needs the admin scope');
    expect((await cli(['destinations', 'pause', 'hook', ...remote, '--reason', 'maintenance'])).code).toBe(0);
    expect((await post(['f'])).status).toBe(200);
    await new Promise((res) => setTimeout(res, 700));
    expect(r.delivered().some((e) => e.id === 'f')).toBe(false);
    expect((await cli(['destinations', 'resume', 'hook', ...remote])).code).toBe(0);
    await waitFor('f after resume', () => r.delivered().some((e) => e.id === 'f'));

    r.answer(() => ({ status: 200 }));
    const again = await cli(['destinations', 'replay', 'hook', ...remote, '--dead-letters']);
    expect(again.out).toContain('"deadLetters":2');
    await waitFor('the dead letters sent', () => r.delivered().filter((e) => e.id === 'bad').length === 1);
    await waitFor('the list emptied', async () => {
      const res = await fetch(`${base}/v1/destinations/hook/dead-letters`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return ((await res.json()) as { deadLetters: unknown[] }).deadLetters.length === 0;
    });
    const replay = await cli(['destinations', 'replay', 'hook', ...remote, '--from-seq', '1', '--follow']);
    expect(replay.code).toBe(0);
    expect(replay.out).toContain('"from":0');
    expect(replay.out).toContain('replay done');
    await waitFor('the replay', () => r.delivered().filter((e) => e.id === 'bad').length === 2);

    const unknown = await cli(['destinations', 'resume', 'nope', ...remote]);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('no destination named nope; destinations: hook');
    const noFrom = await cli(['destinations', 'replay', 'hook', ...remote]);
    expect(noFrom.out).toContain('a replay needs one of --from-seq (a seq) or --since (a time)');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/panoramix_destination_lag_events\{destination="hook"\} \d+/);
  });
});
