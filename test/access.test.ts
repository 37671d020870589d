import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { NewEvent } from '../src/core/event.js';
import { ordersGenerator } from '../src/generate/orders.js';
import type { Runtime } from '../src/runtime.js';
import { AuditLog } from '../src/serve/access/audit.js';
import { Credentials, hashToken } from '../src/serve/access/credentials.js';
import { declaredRoutes, enforceScopes, scoped } from '../src/serve/access/scopes.js';
import { createApp } from '../src/serve/app.js';
import { CLI } from './support/process.js';
import { tempDir } from './support/temp.js';

const READ = 'rt_access_read_token';
const ADMIN = 'at_access_admin_token';
const METRICS = 'mt_access_metrics_token';
const LIMITED = 'rt_access_limited_token';
const KEY = 'wk_access_orders_key';
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** The orders example with a read token, an admin token given only as its digest, and a metrics token. */
async function ordersApp(server: string): Promise<{ runtime: Runtime; app: FastifyInstance }> {
  const dir = tempDir();
  const yaml = fs
    .readFileSync(path.resolve(import.meta.dirname, '../examples/orders/panoramix.yaml'), 'utf8')
    .replace('path: ./data/panoramix.duckdb', `path: ${dir}/store.duckdb`)
    .replace(/\n {2}readTokens: .*/, '')
    .replace(/\n {2}adminTokens: .*/, '')
    .replace('port: 8080', `port: 0\n${server}`)
    .replace(/writeKeys: .*/, `writeKeys: [${KEY}]`);
  const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
  const read = runtime.ingest.readerFor('orders');
  const now = Date.now();
  const events: NewEvent[] = [];
  for (const e of ordersGenerator.generate({ count: 50, seed: 3, start: now - 50 * 4000 })) {
    const r = read(e, 'orders', now);
    if (r.ok) events.push(r.event);
  }
  await runtime.committer.submit(events);
  await runtime.quarantine.put([
    { source: 'orders', raw: Buffer.from('{not json'), reason: 'unparseable', error: 'not JSON' },
  ]);
  return { runtime, app: await createApp(runtime) };
}

describe('route scopes', () => {
  it('a route that declares no scope fails the app at construction', async () => {
    const app = Fastify();
    enforceScopes(app, new Credentials(parseConfig('').server));
    app.get('/fine', scoped('read'), async () => ({}));
    expect(() => app.get('/forgotten', async () => ({}))).toThrow(
      'route GET /forgotten declares no scope: give it config.scope, one of open, ingest, read, admin, metrics',
    );
    expect(() => app.get('/typo', { config: { scope: 'reed' as never } }, async () => ({}))).toThrow(
      /declares no scope/,
    );
    await app.close();
  });

  it('hashed tokens in the configuration are compared with the token, and must be well formed', () => {
    const c = new Credentials(parseConfig(`server:\n  adminTokens: ["${hashToken(ADMIN)}"]\n`).server);
    expect(c.identify(`Bearer ${ADMIN}`)).toEqual({ kind: 'admin', name: expect.stringMatching(/^admin:/) });
    expect(c.identify(`Bearer ${hashToken(ADMIN)}`)).toBeUndefined();
    expect(c.identify(undefined)).toEqual({ kind: 'anonymous', name: 'anonymous' });
    expect(() => parseConfig('server:\n  adminTokens: ["sha256:abc123"]\n')).toThrow(
      'a hashed token is sha256: followed by 64 hex digits (panoramix token hash TOKEN)',
    );
  });
});

describe('who may do what (the orders example)', () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ runtime, app } = await ordersApp(
      `  readTokens: [${READ}, { token: ${LIMITED}, sources: [orders], projections: [orders] }]\n  adminTokens: [{ token: "${hashToken(ADMIN)}", name: ops }]\n  metricsToken: ${METRICS}\n`,
    ));
  });
  afterAll(async () => {
    await app.close();
    await runtime.close();
  });

  // The four changes a read token could make (issue 16): each now needs the admin scope.
  const CHANGES = [
    ['/v1/projections/orders/rebuild', undefined],
    ['/v1/reports/status/run', '{"offset":"1h"}'],
    ['/v1/quarantine/replay', '{}'],
    ['/v1/quarantine/discard', '{"reason":"unparseable"}'],
  ] as const;
  for (const [url, payload] of CHANGES) {
    it(`POST ${url}: 401 without a token, 403 with a read token, 200 with the admin token`, async () => {
      const post = (headers: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url,
          headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
          ...(payload ? { payload } : {}),
        });
      const none = await post({});
      expect(none.statusCode).toBe(401);
      expect(none.json().needs).toBe('admin');
      const read = await post(bearer(READ));
      expect(read.statusCode).toBe(403);
      expect(read.json()).toEqual({
        error: 'this changes state and needs the admin scope (server.adminTokens); a read token may not',
        needs: 'admin',
      });
      expect((await post(bearer('at_not_a_token_at_all'))).statusCode).toBe(403);
      const admin = await post(bearer(ADMIN));
      expect(admin.statusCode, admin.body).toBe(200);
    });
  }

  it('records every admin action, who, what, when and how it ended, for admins to read', async () => {
    const res = await app.inject({ url: '/v1/audit?limit=50', headers: bearer(ADMIN) });
    expect(res.statusCode).toBe(200);
    const entries = res.json().entries as { actor: string; action: string; target: string }[];
    // The four admitted changes above, newest first; the refused attempts (no token, read token) are not actions.
    expect(entries.map((e) => `${e.actor} ${e.action} ${e.target}`)).toEqual([
      'ops POST /v1/quarantine/discard /v1/quarantine/discard',
      'ops POST /v1/quarantine/replay /v1/quarantine/replay',
      'ops POST /v1/reports/:name/run /v1/reports/status/run',
      'ops POST /v1/projections/:name/rebuild /v1/projections/orders/rebuild',
    ]);
    expect(res.json().entries[0]).toMatchObject({
      detail: { body: { reason: 'unparseable' } },
      status: 200,
      at: expect.stringMatching(/^\d{4}-/),
      finishedAt: expect.stringMatching(/^\d{4}-/),
    });
    expect((await app.inject({ url: '/v1/audit', headers: bearer(READ) })).statusCode).toBe(403);
    // Reading the log is not itself recorded.
    expect((await app.inject({ url: '/v1/audit', headers: bearer(ADMIN) })).json().entries).toHaveLength(4);
  });

  it('takes no token from a URL, and tells the caller who it is and what it may do', async () => {
    const inUrl = await app.inject({ url: `/v1/projections/orders?format=csv&token=${READ}` });
    expect(inUrl.statusCode).toBe(400);
    expect(inUrl.json().error).toBe(
      'a token in the URL (?token=) is not accepted; send it as Authorization: Bearer TOKEN',
    );
    const csv = await app.inject({ url: '/v1/projections/orders?format=csv', headers: bearer(READ) });
    expect(csv.statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/access', headers: bearer(READ) })).json()).toEqual({
      name: expect.stringMatching(/^read:[0-9a-f]{8}$/),
      kind: 'read',
      may: { read: true, admin: false },
      limits: null,
    });
    expect((await app.inject({ url: '/v1/access', headers: bearer(ADMIN) })).json()).toEqual({
      name: 'ops',
      kind: 'admin',
      may: { read: true, admin: true },
      limits: null,
    });
  });

  it('every route declares a scope, and each scope admits exactly its credentials', async () => {
    const routes = declaredRoutes(app);
    expect(routes.length).toBeGreaterThan(30);
    const CREDENTIALS = {
      none: {},
      wrong: bearer('rt_wrong_token_1234'),
      writeKey: bearer(KEY),
      read: bearer(READ),
      limited: bearer(LIMITED),
      metrics: bearer(METRICS),
      admin: bearer(ADMIN),
    } as const;
    // Who gets past the scope (any answer but 401/403) on a route of each scope.
    const ADMITS: Record<string, readonly (keyof typeof CREDENTIALS)[]> = {
      read: ['read', 'admin'],
      admin: ['admin'],
      metrics: ['metrics', 'admin'],
    };
    const checked: string[] = [];
    for (const r of routes) {
      // open: the dashboard's files and CORS; ingest: the write key, checked by the routes (their own tests).
      if (!(r.scope in ADMITS) || r.method === 'HEAD') continue;
      // A limited read token passes only the read routes that apply its limits.
      const admits = [...ADMITS[r.scope]!, ...(r.scope === 'read' && r.limited ? ['limited' as const] : [])];
      // Path parameters get names that exist nowhere, so a handler that runs answers 404 or 400 at most.
      const url = r.url.replace(/:[A-Za-z]+/g, 'no-such-thing').replace('*', 'x');
      for (const [who, headers] of Object.entries(CREDENTIALS)) {
        const res = await app.inject({ method: r.method as 'GET', url, headers });
        // The scope hook's refusals answer with `needs`; a limited route may still refuse what a limited token
        // names (projection no-such-thing is not granted), which limited-tokens.test.ts checks.
        const admitted = !(
          (res.statusCode === 401 || res.statusCode === 403) &&
          res.json().needs !== undefined
        );
        expect(
          admitted,
          `${r.method} ${r.url} (${r.scope}) with ${who}: ${res.statusCode} ${res.body.slice(0, 200)}`,
        ).toBe(admits.includes(who as keyof typeof CREDENTIALS));
      }
      checked.push(`${r.method} ${r.url}`);
    }
    expect(checked).toContain('POST /v1/lifecycles/:name/rebuild');
    // Whatever changes state is admin's, or a source's (ingest): no change is left to a read token.
    // (Without a matching section, /v1/match/* is an open catch-all that only says matching is not configured.)
    const changes = routes.filter(
      (r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && r.url !== '/v1/match/*',
    );
    expect(
      changes
        .filter((r) => r.scope !== 'admin' && r.scope !== 'ingest')
        .map((r) => `${r.method} ${r.url} ${r.scope}`),
    ).toEqual([]);
    // Every ingest route refuses a write key that is no source's.
    const ingest = changes.filter((r) => r.scope === 'ingest');
    expect(ingest.length).toBeGreaterThan(10);
    for (const r of ingest) {
      const res = await app.inject({
        method: r.method as 'POST',
        url: r.url,
        headers: { ...bearer('wk_no_source_has_this'), 'content-type': 'application/json' },
        payload: '{"id":"x","type":"t","events":[{"id":"x","type":"t"}],"batch":[]}',
      });
      expect(res.statusCode, `${r.method} ${r.url}: ${res.body.slice(0, 200)}`).toBe(401);
    }
    expect(checked).toContain('GET /metrics');
  });
});

describe('panoramix audit list', () => {
  it('prints the log from the store', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'panoramix.yaml'), 'store: { path: ./store.duckdb }\n');
    const runtime = await createRuntime(
      parseConfig('store: { path: ./store.duckdb }\n'),
      dir,
      pino({ level: 'silent' }),
    );
    const log = new AuditLog(runtime.store);
    await log.migrate();
    await log.finish(
      await log.begin('ops', 'POST /v1/quarantine/replay', '/v1/quarantine/replay', { body: {} }),
      200,
    );
    await runtime.close();
    const out = execFileSync(process.execPath, [CLI, 'audit', 'list', '-c', 'panoramix.yaml', '-f', 'json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([
      expect.objectContaining({
        actor: 'ops',
        action: 'POST /v1/quarantine/replay',
        status: 200,
        detail: '{"body":{}}',
      }),
    ]);
  });
});

describe('a project with no token at all', () => {
  it('is open to reads and changes alike (a local sandbox), and one with only read tokens refuses changes', async () => {
    const open = await ordersApp('');
    const rebuild = await open.app.inject({ method: 'POST', url: '/v1/projections/orders/rebuild' });
    expect(rebuild.statusCode).toBe(200);
    await open.app.close();
    await open.runtime.close();

    const readOnly = await ordersApp(`  readTokens: [${READ}]\n`);
    const refused = await readOnly.app.inject({
      method: 'POST',
      url: '/v1/projections/orders/rebuild',
      headers: bearer(READ),
    });
    expect(refused.statusCode).toBe(403);
    await readOnly.app.close();
    await readOnly.runtime.close();
  });
});
