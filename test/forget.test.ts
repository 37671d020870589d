import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Forget } from '../src/forget/service.js';
import { historyTables } from '../src/project/history.js';
import { projectionEngine } from '../src/project/service.js';
import { runRetention } from '../src/retention/run.js';
import type { Runtime } from '../src/runtime.js';
import {
  AUTH,
  appOf,
  everything,
  FORGET_YAML,
  seedEverywhere,
  U42_COUNTS,
} from './support/forget-scenario.js';
import { runtimeFactories } from './support/runtimes.js';

for (const factory of runtimeFactories()) {
  describe(`erasure by subject: ${factory.name}`, () => {
    const open: Runtime[] = [];
    afterEach(async () => {
      for (const r of open.splice(0)) await r.close().catch(() => undefined);
    });

    it('erases a subject that is everywhere, leaves no trace of it, keeps the others, and refuses its new events', async () => {
      const { runtime, dir } = await factory.create(FORGET_YAML);
      open.push(runtime);
      await seedEverywhere(runtime);
      const before = await everything(runtime, dir);
      for (const [place, rows] of Object.entries(before)) {
        if (place === 'projection:per_type') continue; // counts only; checked below
        expect(rows, place).toContain('u-42');
        expect(rows, place).toContain('u-7');
      }
      expect(before['projection:per_type']).toBe(
        JSON.stringify([
          { type: 'order_placed', n: 1, users: 1 },
          { type: 'page_viewed', n: 2, users: 2 },
          { type: 'signup', n: 2, users: 2 },
        ]),
      );

      const app = await appOf(runtime);
      const posted = await app.inject({ method: 'POST', url: '/v1/deletions', payload: { subject: 'u-42' } });
      expect(posted.statusCode, posted.body).toBe(202);
      const { id } = posted.json();
      expect(posted.headers.location).toBe(`/v1/deletions/${id}`);
      let status = posted.json();
      for (let i = 0; i < 200 && status.status !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await app.inject({ method: 'GET', url: `/v1/deletions/${id}` })).json();
      }
      // The audit record: counts per place, and no subject text once done (its hash stays).
      expect(status).toMatchObject({ status: 'done', subject: null, counts: U42_COUNTS });
      expect(status.counts.audit_log).toBe(1); // the request's own body, in the admin log
      expect(status.subjectHash).toMatch(/^[0-9a-f]{64}$/);

      // In no table of the store (old projection versions and the admin log included) ...
      const tables = await runtime.store.query(
        'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()',
      );
      expect(tables.length).toBeGreaterThan(10);
      for (const { t } of tables) {
        const rows = JSON.stringify(await runtime.store.query(`SELECT * FROM "${t}"`));
        expect(rows, String(t)).not.toContain('u-42');
      }
      if (factory.name === 'duckdb') {
        // ... nor in the file's bytes: a delete leaves them there; the erasure rewrites the file.
        const bytes = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f) : Buffer.alloc(0));
        const file = path.join(dir, 'store.duckdb');
        expect(Buffer.concat([bytes(file), bytes(`${file}.wal`)]).includes('u-42')).toBe(false);
      }
      const after = await everything(runtime, dir);
      for (const [place, rows] of Object.entries(after)) expect(rows, place).not.toContain('u-42');
      expect(after.events).toContain('u-7');
      expect(after['projection:per_type']).toBe(
        JSON.stringify([
          { type: 'page_viewed', n: 1, users: 1 },
          { type: 'signup', n: 1, users: 1 },
        ]),
      );
      // A rebuild finds nothing of it either (the events are gone, not hidden).
      const engine = await projectionEngine(runtime);
      for (const name of engine.plans.keys()) await engine.rebuild(name);
      const rebuilt = await everything(runtime, dir);
      for (const [place, rows] of Object.entries(rebuilt)) expect(rows, place).not.toContain('u-42');
      expect(rebuilt).toEqual(after);

      // Suppressed: refused with a clear error, not stored, not held in quarantine; others still accepted.
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: AUTH,
        payload: [
          { id: 'n1', type: 'signup', subject: 'u-42' },
          { id: 'n2', type: 'signup', subject: 'u-8' },
        ],
      });
      expect(res.json()).toMatchObject({
        accepted: 1,
        rejected: [
          { index: 0, id: 'n1', field: 'subject', error: expect.stringContaining('was erased on request') },
        ],
      });
      const alone = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: AUTH,
        payload: { id: 'n3', type: 'signup', subject: 'u-42' },
      });
      expect(alone.statusCode).toBe(400);
      expect(alone.json().error).toContain(`subject "u-42" was erased on request (${id})`);
      const final = await everything(runtime, dir);
      expect(final.quarantine).toBe(after.quarantine);
      expect(final.events).not.toContain('u-42');
    });

    it("removes the subject's rows from a projection's kept history, and keeps the others'", async () => {
      const { runtime, dir } = await factory.create(
        `${FORGET_YAML}\nretention: { types: { page_viewed: 1d }, compactAt: 1 }\n`,
      );
      open.push(runtime);
      await seedEverywhere(runtime);
      // The page views expire: per_user (keepHistory) keeps their counts in its history.
      expect((await runRetention(runtime, Date.parse('2026-12-03T00:00:00Z'))).events).toBe(2);
      const perUser = async () => JSON.parse((await everything(runtime, dir))['projection:per_user']!);
      expect(await perUser()).toEqual([
        { user: 'u-42', n: 3 },
        { user: 'u-7', n: 2 },
      ]);
      await (await Forget.of(runtime)).runToEnd({ subject: 'u-42', suppress: true });
      expect(await perUser()).toEqual([{ user: 'u-7', n: 2 }]);
      const engine = await projectionEngine(runtime);
      const h = historyTables(runtime.store, engine.plans.get('per_user')!);
      expect(await runtime.store.query(`SELECT "user", n FROM ${h.table}`)).toEqual([{ user: 'u-7', n: 1 }]);
    });

    it('takes several subjects at once (one batch) and refuses lists it cannot take', async () => {
      const { runtime, dir } = await factory.create(FORGET_YAML);
      open.push(runtime);
      await seedEverywhere(runtime);
      const app = await appOf(runtime);
      const post = (payload: object) => app.inject({ method: 'POST', url: '/v1/deletions', payload });
      expect((await post({ subjects: [] })).statusCode).toBe(400);
      expect((await post({ subjects: Array.from({ length: 5001 }, (_, i) => `u${i}`) })).statusCode).toBe(
        400,
      );
      expect((await post({ subject: 'u-1', subjects: ['u-2'] })).statusCode).toBe(400);
      const res = await post({ subjects: ['u-42', 'u-7'] });
      expect(res.statusCode, res.body).toBe(202);
      const ids = res.json().deletions.map((d: { id: string }) => d.id);
      expect(ids).toHaveLength(2);
      const statusOf = async (id: string) => (await app.inject({ url: `/v1/deletions/${id}` })).json();
      for (let i = 0; i < 200 && (await statusOf(ids[1])).status !== 'done'; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect((await statusOf(ids[0])).counts).toMatchObject({ events: 3 });
      expect((await statusOf(ids[1])).counts).toMatchObject({ events: 2, quarantine: 1 });
      const all = await everything(runtime, dir);
      expect(all.events).toBe('[]');
      expect(all.quarantine).toBe('[]');
      expect(all['projection:users']).toBe('[]');
    });

    it('refuses a request without a subject, and answers 404 for an unknown one', async () => {
      const { runtime } = await factory.create(FORGET_YAML);
      open.push(runtime);
      const app = await appOf(runtime);
      const bad = await app.inject({ method: 'POST', url: '/v1/deletions', payload: { since: 'yesterday' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toContain('subject is required');
      expect((await app.inject({ method: 'GET', url: '/v1/deletions/del_nope' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/v1/deletions?limit=0' })).statusCode).toBe(400);
      // Narrowed to one type: only those events go, and the subject's others stay.
      await seedEverywhere(runtime);
      const f = await Forget.of(runtime);
      const d = await f.runToEnd({ subject: 'u-42', type: 'page_viewed', suppress: false });
      expect(d.counts).toMatchObject({ events: 1, lake: 1 });
      const left = await runtime.store.query("SELECT id FROM events WHERE subject = 'u-42' ORDER BY id");
      expect(left.map((r) => r.id)).toEqual(['e1', 'e2']);
      // The audit trail lists it, with its narrowing and counts, and without the subject's text.
      const trail = (await app.inject({ method: 'GET', url: '/v1/deletions' })).json().deletions;
      expect(trail).toEqual([
        expect.objectContaining({
          id: d.id,
          subject: null,
          type: 'page_viewed',
          status: 'done',
          suppress: false,
        }),
      ]);
    });
  });
}
