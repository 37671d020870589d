import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/event.js';
import { activeVersion } from '../src/project/registry.js';
import { projectionEngine } from '../src/project/service.js';
import { runRetention } from '../src/retention/run.js';
import type { Runtime } from '../src/runtime.js';
import { runtimeFactories } from './support/runtimes.js';

const NOW = Date.parse('2026-12-03T00:00:00Z');
const at = (iso: string) => Date.parse(iso);

function ev(id: string, source: string, type: string, time: number, subject = 'u-1'): NewEvent {
  return {
    source,
    id,
    type,
    subject,
    time,
    data: JSON.stringify({ pad: randomBytes(150).toString('hex'), id }),
    receivedAt: time,
  };
}

// web keeps 400 days (cutoff 2025-10-29), page_viewed 30 days (cutoff 2026-11-03), everything else forever.
const YAML = `
retention:
  sources: { web: 400d }
  types: { page_viewed: 30d }
  compactAt: 0
projections:
  per_type:
    shape: aggregate
    dimensions: { source: source, type: type }
    measures: { n: count() }
  kept_per_source:
    shape: aggregate
    keepHistory: true
    dimensions: { source: source }
    measures: { n: count(), users: count_distinct(subject), first: min(time) }
  last_per_type:
    shape: latest
    keepHistory: true
    key: { type: type }
    columns: { last_source: source, last_id: id }
`;

const expired = [
  ev('w-old', 'web', 'order_placed', at('2025-03-10T00:00:00Z')), // its month goes whole
  ev('w-oct', 'web', 'order_placed', at('2025-10-20T00:00:00Z')),
  ev('a-pv-old', 'app', 'page_viewed', at('2026-10-01T00:00:00Z')),
];
const kept = [
  ev('w-oct-late', 'web', 'order_placed', at('2025-10-30T00:00:00Z')), // keeps its month's partition
  ev('w-new', 'web', 'order_placed', at('2026-11-01T00:00:00Z')),
  ev('a-pv-new', 'app', 'page_viewed', at('2026-11-20T00:00:00Z')),
  ev('a-signup', 'app', 'signup', at('2024-01-01T00:00:00Z')), // no rule for it: kept forever
];

async function merged(runtime: Runtime, name: string) {
  const v = await activeVersion(runtime.store, name);
  return runtime.store.query(`SELECT * FROM (${v!.mergedSql}) m ORDER BY 1, 2`);
}

for (const factory of runtimeFactories()) {
  describe(`retention: ${factory.name}`, () => {
    const open: Runtime[] = [];
    afterEach(async () => {
      for (const r of open.splice(0)) await r.close().catch(() => undefined);
    });

    it('removes exactly the expired events, rebuilds projections over what remains, never reuses a seq', async () => {
      const { runtime, reopen } = await factory.create(YAML);
      open.push(runtime);
      // Many expired events, so the space they free is measurable; the last one appended is expired too.
      const filler = Array.from({ length: 20_000 }, (_, i) =>
        ev(`f-${i}`, 'web', 'order_placed', at('2025-03-11T00:00:00Z') + i),
      );
      await runtime.store.append([...kept, ...filler, ...expired]);
      const topSeq = await runtime.store.lastSeq();
      const engine = await projectionEngine(runtime);
      await engine.rebuild('per_type');
      await engine.rebuild('kept_per_source');
      expect((await merged(runtime, 'per_type')).find((r) => r.source === 'web')?.n).toBe(20_004);
      const before = await merged(runtime, 'kept_per_source');
      expect(before.map((r) => [r.source, r.n, r.users])).toEqual([
        ['app', 3, 1],
        ['web', 20_004, 1],
      ]);

      const run = await runRetention(runtime, NOW);

      expect(run.events).toBe(expired.length + filler.length);
      const ids = (await runtime.store.query('SELECT id FROM events ORDER BY id')).map((r) => r.id);
      expect(ids).toEqual(kept.map((e) => e.id).sort());
      // The default: a projection counts only what remains (retention rebuilt it).
      expect(run.projectionsRebuilt).toBe(3);
      // keepHistory: the rolled-up rows of what expired stay, merged once, through any number of rebuilds.
      expect(await merged(runtime, 'kept_per_source')).toEqual(before);
      await engine.rebuild('kept_per_source');
      expect(await merged(runtime, 'kept_per_source')).toEqual(before);
      // A keyed read of a keepHistory latest projection answers as its merged SQL, kept rows included.
      const latest = await merged(runtime, 'last_per_type');
      expect(latest.length).toBeGreaterThan(0);
      for (const row of latest) {
        const keyed = await runtime.projections!.read('last_per_type', {
          filters: { type: [{ op: 'eq', value: row.type }] },
        });
        expect(keyed.rows).toEqual([row]);
      }
      expect(await merged(runtime, 'per_type')).toEqual([
        { source: 'app', type: 'page_viewed', n: 1 },
        { source: 'app', type: 'signup', n: 1 },
        { source: 'web', type: 'order_placed', n: 2 },
      ]);
      if (factory.name === 'duckdb') {
        // A delete and a checkpoint leave the file as long as it was; the rewrite gives the space back (each
        // table holds at least one 256 KB block, so what remains is about 4 MB).
        expect(run.compacted).not.toBeNull();
        expect(run.compacted!.afterBytes).toBeLessThan(run.compacted!.beforeBytes * 0.6);
      } else {
        const parts = (
          await runtime.store.query(
            `SELECT c.relname AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
          )
        ).map((r) => r.t);
        // 2026_10 held only an expired page view; 2025_10 keeps one web event, so it loses rows only.
        expect(run.partitionsDropped).toEqual(['2025_03', '2026_10']);
        expect(parts).toEqual(['events_2024_01', 'events_2025_10', 'events_2026_11']);
      }
      // The newest seq was an expired event's: the next event gets a fresh one, after a restart too.
      await runtime.close();
      open.pop();
      const again = await reopen();
      open.push(again);
      const [next] = (await again.store.append([ev('later', 'web', 'order_placed', NOW)])).stored;
      expect(next!.seq).toBe(topSeq + 1);
      // An expired event sent again is an event like any other (its key went with it), on both engines.
      const back = await again.store.append([expired[0]!]);
      expect(back.stored.map((e) => e.id)).toEqual(['w-old']);
      // A second run finds nothing more to remove but the resent event, and the audit table has both runs.
      expect((await runRetention(again, NOW)).events).toBe(1);
      // The kept history took the resent event's rows once more (it was an event, and it expired again).
      await (await projectionEngine(again)).rebuild('kept_per_source');
      const kept2 = await merged(again, 'kept_per_source');
      expect(kept2.map((r) => [r.source, r.n, r.users])).toEqual([
        ['app', 3, 1],
        ['web', 20_006, 1],
      ]);
      const runs = await again.store.query(
        'SELECT events FROM panoramix_retention_runs ORDER BY run_at, events',
      );
      expect(runs.map((r) => r.events).sort((a, b) => Number(a) - Number(b))).toEqual([1, 20_003]);
    });
  });
}
