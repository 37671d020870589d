import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import type { Runtime } from '../src/runtime.js';
import { AuditLog } from '../src/serve/access/audit.js';
import { TokenStore } from '../src/serve/access/token-store.js';
import { CLI } from './support/process.js';
import { testApp } from './support/runtime.js';
import { tempDir } from './support/temp.js';

const ADMIN = 'at_created_tokens_admin';
let app: FastifyInstance;
let runtime: Runtime;
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const events = (token: string) => app.inject({ url: '/v1/events', headers: as(token) });
const create = async (body: object) => {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: { ...as(ADMIN), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; token: string; name: string; scope: string; expiresAt: string | null };
};
const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return Date.now();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
};

beforeAll(async () => {
  ({ app, runtime } = await testApp(`
server: { adminTokens: [${ADMIN}] }
sources: { web: {}, shop: {} }
`));
  await runtime.committer.submit(
    ['web', 'shop'].map((source, i) => ({
      source,
      id: `e${i}`,
      type: 't',
      subject: null,
      time: Date.now(),
      data: '{}',
      receivedAt: Date.now(),
    })),
  );
});
afterAll(async () => {
  await app.close();
  await runtime.close();
});

describe('tokens created through the API', () => {
  it('are stored hashed, limited as asked, listed without their secret, and their changes audited', async () => {
    const t = await create({ name: 'web team', scope: 'read', sources: ['web'], expires: '30d' });
    expect(t.token).toMatch(/^rt_/);
    expect(Date.parse(t.expiresAt!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const listed = (await events(t.token)).json().events;
    expect(listed.map((e: { source: string }) => e.source)).toEqual(['web']);
    // The store holds the digest only: the token itself is nowhere in its row.
    const rows = await runtime.store.query('SELECT * FROM panoramix_tokens WHERE id = $1', [t.id]);
    expect(JSON.stringify(rows)).not.toContain(t.token);
    const list = (await app.inject({ url: '/v1/tokens', headers: as(ADMIN) })).json().tokens;
    expect(list).toContainEqual(
      expect.objectContaining({ id: t.id, name: 'web team', createdBy: expect.any(String) }),
    );
    expect(JSON.stringify(list)).not.toContain(t.token);
    // A read token may not make tokens.
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: as(t.token),
      payload: '{}',
    });
    expect(refused.statusCode).toBe(403);
    const audit = (await app.inject({ url: '/v1/audit', headers: as(ADMIN) })).json().entries;
    expect(audit.map((e: { action: string }) => e.action)).toContain('POST /v1/tokens');
  });

  it('a revocation through the API holds at the next request; an expiry, at its instant', async () => {
    const t = await create({ name: 'short', scope: 'admin' });
    expect((await events(t.token)).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/tokens/${t.id}`, headers: as(ADMIN) })).statusCode,
    ).toBe(204);
    expect((await events(t.token)).statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/tokens/${t.id}`, headers: as(ADMIN) })).statusCode,
    ).toBe(404);

    const brief = await create({ name: 'brief', scope: 'read', expires: '1s' });
    expect((await events(brief.token)).statusCode).toBe(200);
    const at = await until('the expiry', async () => (await events(brief.token)).statusCode === 403, 2000);
    expect(at - Date.parse(brief.expiresAt!)).toBeLessThan(1000);
  });

  it('a revocation made elsewhere (the CLI, another process) holds within a second', async () => {
    const t = await create({ name: 'elsewhere', scope: 'read' });
    expect((await events(t.token)).statusCode).toBe(200);
    // What `panoramix token revoke` does: straight on the store, not through this app.
    const revokedAt = Date.now();
    expect(await new TokenStore(runtime.store).revoke(t.id)).toBe(true);
    const at = await until('the revocation', async () => (await events(t.token)).statusCode === 403, 1500);
    expect(at - revokedAt).toBeLessThan(1000);
  });

  it('refuses what it cannot make', async () => {
    for (const [body, error] of [
      [{ scope: 'read' }, 'name is required: what the token is for (the audit log shows it)'],
      [{ name: 'x', scope: 'root' }, 'scope must be read or admin'],
      [
        { name: 'x', scope: 'admin', sources: ['web'] },
        'an admin token cannot be limited; limits are for read tokens',
      ],
      [
        { name: 'x', scope: 'read', expires: 'soon' },
        'expires must be a duration such as 30d, 12h or 90s, not "soon"',
      ],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: { ...as(ADMIN), 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe(error);
    }
  });
});

describe('panoramix token create|list|revoke', () => {
  it('creates a token in the store, prints it once, lists and revokes it, and audits both', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'panoramix.yaml'), 'store: { path: ./store.duckdb }\n');
    const cli = (args: string[]) =>
      execFileSync(process.execPath, [CLI, 'token', ...args, '-c', 'panoramix.yaml'], {
        cwd: dir,
        encoding: 'utf8',
      });
    const out = cli(['create', '--scope', 'read', '--sources', 'web', '--expires', '30d', '--name', 'web']);
    const [secret, note] = out.trim().split('\n');
    expect(secret).toMatch(/^rt_[A-Za-z0-9_-]{32}$/);
    const id = /token ([0-9a-f-]{36})/.exec(note!)![1]!;
    const listed = JSON.parse(cli(['list', '-f', 'json']));
    expect(listed).toEqual([
      expect.objectContaining({
        id,
        name: 'web',
        scope: 'read',
        limits: '{"sources":["web"]}',
        revoked_at: null,
      }),
    ]);
    expect(cli(['revoke', id])).toBe(`revoked ${id}\n`);
    // What the CLI left in the store: the revocation, and both changes in the audit log.
    const rt = await createRuntime(
      parseConfig('store: { path: ./store.duckdb }\n'),
      dir,
      pino({ level: 'silent' }),
    );
    try {
      expect((await new TokenStore(rt.store).list())[0]!.revokedAt).toMatch(/^\d{4}-/);
      const audit = await new AuditLog(rt.store).list();
      expect(audit.map((e) => e.action)).toEqual(['panoramix token revoke', 'panoramix token create']);
      expect(audit[0]!.actor).toMatch(/^cli:/);
    } finally {
      await rt.close();
    }
  });
});
