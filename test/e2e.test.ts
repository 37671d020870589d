import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, exited, freePort, spawnCli, waitForHttp } from './support/process.js';
import { tempDir } from './support/temp.js';

const KEY = 'wk_e2e_key_0123';
const TOKEN = 'rt_e2e_token_0123';
const run = (args: string[], cwd?: string) =>
  execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
// What a command that must fail printed on stderr ('ran' when it did not fail).
const stderrOf = (args: string[], cwd: string) => {
  try {
    run(args, cwd);
  } catch (e) {
    return String((e as { stderr: string }).stderr);
  }
  return 'ran';
};

describe('end to end over a real socket', () => {
  const dir = tempDir();
  let base = '';
  let server: ReturnType<typeof spawnCli>;
  const cfg = path.join(dir, 'panoramix.yaml');

  beforeAll(async () => {
    const port = await freePort();
    fs.writeFileSync(
      cfg,
      `store:\n  path: ./store.duckdb\nserver:\n  port: ${port}\n  readTokens: [${TOKEN}]\nsources:\n  orders:\n    writeKeys: [${KEY}]\n    mapping: { id: id, type: type, time: timestamp, subject: aggregate_id, data: data }\n`,
    );
    base = `http://127.0.0.1:${port}`;
    server = spawnCli(['start', '--config', cfg]);
    await waitForHttp(`${base}/status`, server);
  });
  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('replays a generated file, serves the events to a read token, and drains on SIGTERM', async () => {
    const file = path.join(dir, 'orders.ndjson');
    run(['generate', 'orders', '--count', '200', '--seed', '7', '--out', file]);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    // The same seed gives the same events.
    expect(
      run(['generate', 'orders', '--count', '200', '--seed', '7', '--start', '2026-01-01T00:00:00Z']),
    ).toBe(run(['generate', 'orders', '--count', '200', '--seed', '7', '--start', '2026-01-01T00:00:00Z']));
    const out = run(['replay', file, '--url', base, '--key', KEY, '--batch', '64']);
    const summary = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ sent: lines.length, accepted: lines.length, rejected: 0, duplicates: 0 });
    // Replaying again stores nothing twice.
    const again = JSON.parse(run(['replay', file, '--url', base, '--key', KEY]).trim().split('\n').at(-1)!);
    expect(again).toMatchObject({ accepted: lines.length, duplicates: lines.length });

    const denied = await fetch(`${base}/v1/events?limit=5`);
    expect(denied.status).toBe(401);
    const res = await fetch(`${base}/v1/events?type=product_ordered&limit=5`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = (await res.json()) as {
      events: { type: string; subject: string; data: { customer_id: string } }[];
      lastSeq: number;
    };
    expect(body.lastSeq).toBe(lines.length);
    expect(body.events).toHaveLength(5);
    for (const e of body.events) {
      expect(e.type).toBe('product_ordered');
      expect(e.subject).toMatch(/^order-7-/);
      expect(e.data.customer_id).toMatch(/^cust-7-/);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(`panoramix_events_accepted_total{source="orders"} ${lines.length * 2}`);

    server.kill('SIGTERM');
    expect(await exited(server)).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    // With the server gone, `panoramix sql` reads the store directly.
    const counted = run([
      'sql',
      'SELECT count(*) AS n FROM events WHERE source = $1',
      '--param',
      'orders',
      '--format',
      'json',
      '--config',
      cfg,
    ]);
    expect(JSON.parse(counted)).toEqual([{ n: lines.length }]);
  });
});

describe('configuration', () => {
  it('init writes a starter file that loads, and a broken file names its line', () => {
    const dir = tempDir();
    run(['init'], dir);
    const starter = fs.readFileSync(path.join(dir, 'panoramix.yaml'), 'utf8');
    expect(starter).toContain('writeKeys:');
    // The first line names the shipped JSON Schema by a path from the file, which is how editors find it.
    const schemaRef = /^# yaml-language-server: \$schema=(\S+)\n/.exec(starter)?.[1] ?? '';
    expect(fs.realpathSync(path.resolve(dir, schemaRef))).toBe(
      fs.realpathSync(path.join(import.meta.dirname, '..', 'panoramix.schema.json')),
    );
    const out = run(['sql', 'SELECT 42 AS answer', '--format', 'csv'], dir);
    expect(out).toBe('answer\n42\n');

    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'server:\n  port: 8080\n  bodyLimt: 5mb\n');
    expect(stderrOf(['sql', 'SELECT 1', '--config', 'bad.yaml'], dir)).toBe(
      'panoramix: bad.yaml:3:3: server: unknown setting "bodyLimt"\n',
    );
  });

  it('says why it could not do what was asked: a missing file, a server that is not there', async () => {
    const dir = tempDir();
    const failure = (args: string[]) => stderrOf(args, dir);
    expect(failure(['replay', 'nofile.json'])).toBe(
      "panoramix: ENOENT: no such file or directory, open 'nofile.json'\n",
    );
    fs.writeFileSync(path.join(dir, 'one.json'), '{"id":"a","type":"t"}\n');
    const port = await freePort();
    expect(failure(['replay', 'one.json', '--url', `http://127.0.0.1:${port}`, '--retries', '0'])).toContain(
      `could not reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('refuses an option value it cannot read, naming the option (it used to run with NaN)', () => {
    const refused = (args: string[]) => stderrOf(args, tempDir());
    expect(refused(['generate', 'orders', '--count', 'lots'])).toBe(
      "error: option '-n, --count <n>' argument 'lots' is invalid. Not a whole number (0, 1, 2, …).\n",
    );
    expect(refused(['match', 'list', '--status', 'nonsense'])).toContain(
      "argument 'nonsense' is invalid. Allowed choices are pending, matched, ambiguous, unmatched, unknown_merchant.",
    );
  });
});
