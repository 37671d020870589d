import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFeatures } from '../src/core/start-features.js';
import { BatchLeader } from '../src/log/batch-leader.js';
import { MATCHING } from './support/matching.js';
import { testApp } from './support/runtime.js';

const SRC = path.resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

// What a feature holds is on its object in runtime.features (issue 13), not in a registry keyed by the
// runtime that nothing lists: the import layers are dependency-cruiser's (npm run deps), this is the rest.
describe('the model of the long-running parts', () => {
  it('has no hidden registry keyed by the runtime', () => {
    const found = sources(SRC).filter((f) => /WeakMap<\s*Runtime\b/.test(fs.readFileSync(f, 'utf8')));
    expect(found.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});

// A batch leader that loses its lock stops its features and starts them again when it leads again, on the
// same runtime: every feature of the batch role must start again after a stop, with one check each.
describe('a feature started again', () => {
  it('starts, stops and starts again on one runtime, reporting each check once', async () => {
    const { runtime } = await testApp(
      `${MATCHING()}\ndestinations:\n  crm: { webhook: { url: "http://127.0.0.1:9/hook" } }\nlake:\n  target: ./lake\n  datasources: { self: { type: store } }\n  tables: {}\n`,
    );
    try {
      const led = runtime.features.filter((f) => f.roles.includes('batch') && !(f instanceof BatchLeader));
      expect(led.map((f) => f.name)).toEqual(expect.arrayContaining(['reports', 'matching', 'destinations']));
      const names = async () => (await runtime.health.report()).checks.map((c) => c.name);
      const before = await names();
      const stop = await startFeatures(led, runtime.health);
      const once = await names();
      await stop();
      expect(await names()).toEqual(before);
      const again = await startFeatures(led, runtime.health);
      expect(await names()).toEqual(once);
      expect(new Set(once).size).toBe(once.length);
      expect(await runtime.telemetry.registry.metrics()).toContain('panoramix_match_transactions');
      await again();
    } finally {
      await runtime.close();
    }
  });
});
