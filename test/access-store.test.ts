import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { AuditLog } from '../src/serve/access/audit.js';
import { Credentials } from '../src/serve/access/credentials.js';
import { TokenStore } from '../src/serve/access/token-store.js';
import { storeFactories } from './support/stores.js';

// The audit log and the created tokens on every store engine (PostgreSQL when its URL is set).
for (const factory of storeFactories())
  describe(`access tables (${factory.name})`, () => {
    it('keep created tokens hashed, expire and revoke them, and keep the audit log in order', async () => {
      const { store } = await factory.create();
      try {
        const tokens = new TokenStore(store);
        const audit = new AuditLog(store);
        await tokens.migrate();
        await audit.migrate();
        const credentials = new Credentials(parseConfig('').server);
        expect(credentials.readsOpen).toBe(true);
        const web = await tokens.create({
          name: 'web',
          scope: 'read',
          limits: { sources: ['web'] },
          by: 'ops',
        });
        const gone = await tokens.create({
          name: 'gone',
          scope: 'admin',
          expiresAt: new Date(Date.now() - 1000),
          by: 'ops',
        });
        credentials.useStored(await tokens.active());
        expect(credentials.readsOpen).toBe(false);
        expect(credentials.identify(`Bearer ${web.token}`)).toMatchObject({ kind: 'read', name: 'web' });
        expect(credentials.identify(`Bearer ${gone.token}`)).toBeUndefined(); // expired
        expect(await tokens.revoke(web.record.id)).toBe(true);
        expect(await tokens.revoke(web.record.id)).toBe(false);
        credentials.useStored(await tokens.active());
        expect(credentials.identify(`Bearer ${web.token}`)).toBeUndefined();
        const listed = await tokens.list();
        expect(listed.map((t) => [t.name, t.revokedAt !== null])).toEqual(
          expect.arrayContaining([
            ['web', true],
            ['gone', false],
          ]),
        );
        expect(listed.find((t) => t.name === 'web')!.limits).toEqual({ sources: ['web'] });

        const first = await audit.begin('ops', 'POST /v1/quarantine/replay', '/v1/quarantine/replay', {
          body: {},
        });
        await audit.finish(first, 200);
        await audit.begin(
          'ops',
          'POST /v1/projections/:name/rebuild',
          '/v1/projections/x/rebuild',
          undefined,
        );
        const entries = await audit.list();
        expect(entries.map((e) => [e.action, e.status])).toEqual([
          ['POST /v1/projections/:name/rebuild', null],
          ['POST /v1/quarantine/replay', 200],
        ]);
        expect(await audit.list({ action: 'POST /v1/quarantine/replay' })).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  });
