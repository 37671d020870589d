import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/event.js';
import type { Store } from '../src/store/store.js';
import { storeFactories } from './support/stores.js';
import { tempDir } from './support/temp.js';

function ev(id: string, over: Partial<NewEvent> = {}): NewEvent {
  return {
    source: 'web',
    id,
    type: 'order_accepted',
    subject: `o-${id}`,
    time: Date.parse('2026-11-24T10:00:00.123Z'),
    data: JSON.stringify({ n: Number(id.replace(/\D/g, '') || 0), name: 'Chloé ✓' }),
    receivedAt: Date.parse('2026-11-24T10:00:01Z'),
    ...over,
  };
}

// One contract, every engine: the same calls give the same rows.
for (const factory of storeFactories()) {
  describe(`store contract: ${factory.name}`, () => {
    const open: Store[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => undefined);
    });
    const fresh = async () => {
      const r = await factory.create();
      open.push(r.store);
      return r;
    };

    it('assigns increasing seq in input order and reads events back exactly', async () => {
      const { store } = await fresh();
      const r = await store.append([ev('1'), ev('2'), ev('3')]);
      expect(r.duplicates).toEqual([]);
      expect(r.stored.map((e) => e.seq)).toEqual([1, 2, 3]);
      const back = await store.readEvents(1, 10);
      expect(back.map((e) => e.id)).toEqual(['2', '3']);
      // The payload is the same JSON (PostgreSQL's JSONB may space it differently).
      expect({ ...back[0], data: JSON.parse(back[0]!.data) }).toEqual({
        ...ev('2'),
        ceSource: 'web',
        ceAttributes: null,
        seq: 2,
        data: JSON.parse(ev('2').data),
      });
      expect(await store.lastSeq()).toBe(3);
    });

    it('keeps every column of every event apart: null and empty subjects, any text, each receipt time', async () => {
      const { store } = await fresh();
      const odd = [
        ev('a', { subject: null }),
        ev('b', { subject: '' }),
        ev('c', { subject: 's', type: 'ordér ✓ 🚀', source: 'wéb' }),
        ev('d', {
          id: 'd,with\ttabs\nand;separators|\u001e',
          data: JSON.stringify({ t: '\u0001\u001e"\\' }),
        }),
        ev('e', {
          ceSource: 'https://bars.example/cloudevents?x=1,2',
          ceAttributes: '{"traceparent":"00-ab"}',
        }),
        ev('f', { ceSource: 'urn:x', ceAttributes: null }),
      ];
      const many = Array.from({ length: 5000 }, (_, i) =>
        ev(`m${i}`, {
          receivedAt: Date.parse('2026-11-24T10:00:01Z') + i,
          time: Date.UTC(2026, i % 3, 1 + (i % 28), 0, 0, 0, i),
        }),
      );
      await store.append([odd[0]!]);
      await store.append([...odd.slice(1), ...many]);
      const back = await store.readEvents(0, 10_000);
      expect(back.length).toBe(5006);
      expect(back.map((e) => e.seq)).toEqual(back.map((_, i) => i + 1));
      const sent = [...odd, ...many];
      const json = (t: string | null | undefined) => (t ? JSON.parse(t) : null);
      for (let i = 0; i < sent.length; i++) {
        expect({
          ...back[i]!,
          data: JSON.parse(back[i]!.data),
          ceAttributes: json(back[i]!.ceAttributes),
        }).toEqual({
          ...sent[i],
          ceSource: sent[i]!.ceSource ?? sent[i]!.source,
          ceAttributes: json(sent[i]!.ceAttributes),
          seq: i + 1,
          data: JSON.parse(sent[i]!.data),
        });
      }
    });

    it('stores events of any time from year 0001 to 9999, one append spanning hundreds of months', async () => {
      const { store } = await fresh();
      const at = (year: number, month = 0, day = 1) => {
        const d = new Date(Date.UTC(2000, month, day));
        d.setUTCFullYear(year, month, day);
        return d.getTime();
      };
      const edges = [at(1), at(50, 5, 15), at(99, 11, 31), at(9999, 11, 31)];
      // 250 months in input order, with a repeat of the first key at the end (a duplicate in a later month).
      const spread = Array.from({ length: 250 }, (_, i) => at(1900 + Math.floor(i / 12), i % 12, 2));
      const batch = [...edges, ...spread].map((time, i) => ev(`t${i}`, { time }));
      batch.push(ev('t0', { time: at(2200) }));
      const r = await store.append(batch);
      expect(r.duplicates).toEqual([batch.length - 1]);
      expect(r.stored.map((e) => e.seq)).toEqual(batch.slice(0, -1).map((_, i) => i + 1));
      const back = await store.readEvents(0, 1000);
      expect(back.map((e) => [e.id, new Date(e.time).toISOString()])).toEqual(
        batch.slice(0, -1).map((e) => [e.id, new Date(e.time).toISOString()]),
      );
      expect(new Date(back[1]!.time).toISOString()).toBe('0050-06-15T00:00:00.000Z');
    });

    it('stores each time to the millisecond exactly, as SQL compares it, at both ends of the range', async () => {
      const { store } = await fresh();
      const times = ['0001-01-01T00:00:00.001Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.001Z'];
      await store.append(
        times.map((t, i) => ev(`x${i}`, { time: Date.parse(t), receivedAt: Date.parse(t) })),
      );
      for (const [i, t] of times.entries()) {
        // An event at exactly T is not before T: a time stored a few microseconds off would be.
        const rows = await store.query(
          'SELECT count(*) AS n FROM events WHERE id = $1 AND time = $2 AND received_at = $2 AND NOT time < $2',
          [`x${i}`, new Date(t)],
        );
        expect(rows).toEqual([{ n: 1 }]);
      }
    });

    it('stores nothing of a failed append, and the next append (same month, same key) goes through', async () => {
      const { store } = await fresh();
      await store.append([ev('1')]);
      // A subject PostgreSQL cannot index (over its 2,704-byte B-tree limit, incompressible) fails its insert
      // after the COPY, in a month with no partition yet. Ingest caps subjects at 512 characters; the store
      // API does not, and DuckDB takes it.
      const may = Date.UTC(2031, 4, 1);
      const huge = Array.from({ length: 3000 }, (_, i) =>
        String.fromCharCode(0x4e00 + ((i * 7919) % 20000)),
      ).join('');
      const failed = await store.append([ev('2', { time: may, subject: huge })]).then(
        () => false,
        () => true,
      );
      expect(failed).toBe(factory.name === 'postgres');
      if (failed) {
        expect(await store.lastSeq()).toBe(1);
        const r = await store.append([ev('2', { time: may + 86_400_000 })]);
        expect(r.stored.map((e) => [e.id, e.seq])).toEqual([['2', 2]]);
        expect((await store.readEvents(0, 10)).map((e) => e.id)).toEqual(['1', '2']);
      }
    });

    it('stores a retried (source, id) once, within a batch and across batches', async () => {
      const { store } = await fresh();
      await store.append([ev('a'), ev('b')]);
      const r = await store.append([ev('b'), ev('c'), ev('c'), ev('a', { source: 'other' })]);
      expect(r.duplicates).toEqual([0, 2]);
      expect(r.stored.map((e) => `${e.source}/${e.id}`)).toEqual(['web/c', 'other/a']);
      // The new ones take the next seqs, in input order, and the seqs answered are the ones stored.
      expect(r.stored.map((e) => e.seq)).toEqual([3, 4]);
      expect((await store.readEvents(0, 10)).map((e) => [e.seq, e.source, e.id])).toEqual([
        [1, 'web', 'a'],
        [2, 'web', 'b'],
        [3, 'web', 'c'],
        [4, 'other', 'a'],
      ]);
      const rows = await store.query(
        'SELECT source, id, count(*) AS n FROM events GROUP BY source, id ORDER BY source, id',
      );
      expect(rows).toEqual([
        { source: 'other', id: 'a', n: 1 },
        { source: 'web', id: 'a', n: 1 },
        { source: 'web', id: 'b', n: 1 },
        { source: 'web', id: 'c', n: 1 },
      ]);
    });

    // CloudEvents identifies an event by (source, id): within a Panoramix source, one id from two CloudEvents
    // sources is two events.
    it('stores the same id from two CloudEvents sources as two events, and a retry of either once', async () => {
      const { store } = await fresh();
      const a = ev('1', { ceSource: 'https://a.example/x' });
      const b = ev('1', { ceSource: '/b/batch' });
      const first = await store.append([a, b, ev('1'), a]);
      expect(first.duplicates).toEqual([3]);
      const again = await store.append([b, ev('1'), ev('1', { ceSource: 'web' }), a]);
      expect(again.duplicates).toEqual([0, 1, 2, 3]);
      const rows = await store.query(
        'SELECT ce_source, count(*) AS n FROM events GROUP BY ce_source ORDER BY 1',
      );
      expect(rows).toEqual([
        { ce_source: '/b/batch', n: 1 },
        { ce_source: 'https://a.example/x', n: 1 },
        { ce_source: 'web', n: 1 },
      ]);
    });

    it('migrates a store made before the CloudEvents source: old rows take their source name, keys hold', async () => {
      const { store, reopen } = await fresh();
      await store.append([ev('old-1'), ev('old-2', { source: 'mars' })]);
      // Back to the schema of the previous release, with its rows still in it.
      const downgrade =
        store.dialect.name === 'duckdb'
          ? [
              'ALTER TABLE events DROP COLUMN ce_attributes',
              'ALTER TABLE events DROP COLUMN ce_source',
              "DELETE FROM panoramix_migrations WHERE component = 'events' AND version > 2",
            ]
          : [
              'ALTER TABLE events DROP COLUMN ce_attributes',
              'ALTER TABLE events DROP COLUMN ce_source',
              'ALTER TABLE event_keys DROP CONSTRAINT event_keys_pkey',
              'ALTER TABLE event_keys DROP COLUMN ce_source',
              'ALTER TABLE event_keys ADD PRIMARY KEY (source, id)',
              "DELETE FROM panoramix_migrations WHERE component = 'events' AND version > 3",
            ];
      for (const sql of downgrade) await store.exec(sql);
      expect((await store.query('SELECT * FROM events ORDER BY seq'))[0]).not.toHaveProperty('ce_source');
      await store.close();
      open.pop();
      const again = await reopen();
      open.push(again);
      expect(await again.query('SELECT source, ce_source, ce_attributes FROM events ORDER BY seq')).toEqual([
        { source: 'web', ce_source: 'web', ce_attributes: null },
        { source: 'mars', ce_source: 'mars', ce_attributes: null },
      ]);
      const r = await again.append([
        ev('old-1'),
        ev('old-2', { source: 'mars', ceSource: 'mars' }),
        ev('new'),
      ]);
      expect(r.duplicates).toEqual([0, 1]);
      expect(r.stored.map((e) => [e.id, e.seq])).toEqual([['new', 3]]);
    });

    it('stores a key once when concurrent appends carry it', async () => {
      const { store } = await fresh();
      const results = await Promise.all([
        store.append([ev('x1'), ev('x2')]),
        store.append([ev('x2'), ev('x3')]),
        store.append([ev('x3'), ev('x1'), ev('x4')]),
      ]);
      const stored = results.flatMap((r) => r.stored.map((e) => e.id)).sort();
      expect(stored).toEqual(['x1', 'x2', 'x3', 'x4']);
      expect(results.reduce((n, r) => n + r.duplicates.length, 0)).toBe(3);
      const seqs = (await store.query('SELECT seq FROM events ORDER BY seq')).map((r) => r.seq);
      expect(seqs).toEqual([1, 2, 3, 4]);
    });

    it('stores what text cannot hold (a lone surrogate, NUL) as U+FFFD, and the neighbours with it', async () => {
      const { store } = await fresh();
      const r = await store.append([
        ev('a\ud800', {
          subject: 'x\u0000y',
          data: JSON.stringify({ s: 'z\ud800', n: 'n\u0000', big: 1e300, t: 'tab\t"q"' }),
        }),
        ev('b'),
      ]);
      expect(r.stored).toHaveLength(2);
      const back = await store.readEvents(0, 10);
      expect(back.map((e) => [e.id, e.subject])).toEqual([
        ['a\ufffd', 'x\ufffdy'],
        ['b', 'o-b'],
      ]);
      expect(JSON.parse(back[0]!.data)).toEqual({ s: 'z\ufffd', n: 'n\ufffd', big: 1e300, t: 'tab\t"q"' });
    });

    // Folds (projections, lifecycles, matching) read up to lastSeq and then move their watermark there: a seq
    // reported before its batch is visible would be skipped by them for good.
    it('reports as lastSeq only what readers can already see, while appends are committing', async () => {
      const { store } = await fresh();
      const writes = Array.from({ length: 30 }, (_, b) =>
        store.append(Array.from({ length: 200 }, (_, i) => ev(`v${b}-${i}`))),
      );
      let done = false;
      const all = Promise.all(writes).finally(() => {
        done = true;
      });
      const gaps: string[] = [];
      let checks = 0;
      while (!done || checks === 0) {
        const last = await store.lastSeq();
        const [row] = await store.query('SELECT count(*) AS n FROM events WHERE seq <= $1', [last]);
        if (Number(row!.n) !== last) gaps.push(`lastSeq ${last} but ${row!.n} events visible`);
        checks++;
      }
      await all;
      expect(gaps).toEqual([]);
      expect(await store.lastSeq()).toBe(6000);
    });

    it('keeps exactly-once and seq across a close and reopen', async () => {
      const { store, reopen } = await fresh();
      await store.append([ev('1'), ev('2')]);
      await store.close();
      open.pop();
      const again = await reopen();
      open.push(again);
      const r = await again.append([ev('2'), ev('3')]);
      expect(r.duplicates).toEqual([0]);
      expect(r.stored.map((e) => e.seq)).toEqual([3]);
    });

    it('binds parameters and returns timestamps as Date and integers as numbers', async () => {
      const { store } = await fresh();
      await store.append([ev('1'), ev('2', { type: 'order_fulfilled' })]);
      const rows = await store.query(
        `SELECT seq, type, time, ${store.dialect.jsonText('data', ['name'])} AS name FROM events WHERE type = $1 AND time >= $2`,
        ['order_fulfilled', new Date('2026-11-24T09:00:00Z')],
      );
      expect(rows).toEqual([
        { seq: 2, type: 'order_fulfilled', time: new Date('2026-11-24T10:00:00.123Z'), name: 'Chloé ✓' },
      ]);
      // A parameter is data, never SQL.
      expect(await store.query('SELECT count(*) AS n FROM events WHERE type = $1', ["x' OR '1'='1"])).toEqual(
        [{ n: 0 }],
      );
    });

    it('rolls a failed transaction back whole', async () => {
      const { store } = await fresh();
      await store.exec('CREATE TABLE t (k INTEGER)');
      await expect(
        store.transaction(async (tx) => {
          await tx.exec('INSERT INTO t VALUES ($1)', [1]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 0 }]);
    });

    it('streams a large answer in chunks with bound parameters, and frees what it held when the reader stops', async () => {
      const { store } = await fresh();
      const sql = 'SELECT g AS n FROM generate_series(1, 25000) AS t(g) WHERE g > $1';
      let rows = 0;
      let chunks = 0;
      for await (const chunk of store.stream(sql, [10])) {
        chunks++;
        rows += chunk.length;
      }
      expect(rows).toBe(24_990);
      expect(chunks).toBeGreaterThan(1);
      // More early stops than a PostgreSQL pool has connections: each must give its connection back.
      for (let i = 0; i < 12; i++) {
        for await (const chunk of store.stream(sql, [0])) {
          expect(chunk.length).toBeGreaterThan(0);
          break;
        }
      }
      expect(await store.query('SELECT count(*) AS n FROM events')).toEqual([{ n: 0 }]);
    });

    it('declares what only some engines can do: Parquet copies on DuckDB, statistics refreshes on both', async () => {
      const { store } = await fresh();
      await store.append([ev('1'), ev('2')]);
      await store.analyzeAfterGrowth('events', 2);
      expect(store.copyToParquet !== undefined).toBe(factory.name === 'duckdb');
      if (store.copyToParquet) {
        const file = path.join(tempDir(), 'events.parquet');
        expect(await store.copyToParquet('SELECT id FROM events WHERE seq > $1', [1], file)).toBe(1);
        expect(await store.query('SELECT id FROM read_parquet($1)', [file])).toEqual([{ id: '2' }]);
      }
    });

    it('applies each migration once, in version order', async () => {
      const { store } = await fresh();
      const migrations = [
        { component: 'demo', version: 2, name: 'add b', up: 'ALTER TABLE demo ADD COLUMN b INTEGER' },
        { component: 'demo', version: 1, name: 'create', up: 'CREATE TABLE demo (a INTEGER)' },
      ];
      await store.migrate(migrations);
      await store.migrate(migrations);
      await store.exec('INSERT INTO demo (a, b) VALUES (1, 2)');
      const applied = await store.query(
        "SELECT version FROM panoramix_migrations WHERE component = 'demo' ORDER BY version",
      );
      expect(applied).toEqual([{ version: 1 }, { version: 2 }]);
    });
  });
}
