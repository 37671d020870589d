import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventReader } from '../src/collect/ingest.js';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';

// Every intake has its own reader (CloudEvents, Segment, Mars, matching files, brokers). Whatever a reader
// gets wrong about a time, the event must be refused alone: a time the stores cannot hold used to fail the
// write of every event committed with it.
describe('the shared ingest path', () => {
  it('refuses an event whose reader made a time the stores cannot hold, and keeps its neighbours', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-test-'));
    const yaml = `store: { path: ${dir}/events.duckdb }\nsources:\n  shop: { writeKeys: [wk_shop_key_123] }\n`;
    const runtime = await createRuntime(parseConfig(yaml), dir, pino({ level: 'silent' }));
    try {
      const times: Record<string, number> = {
        ok1: Date.parse('2026-11-24T10:00:00Z'),
        nan: Number.NaN,
        year0: Date.parse('0000-06-01T00:00:00Z'),
        far: 1e16,
        ok2: Date.parse('2026-11-24T10:00:01Z'),
      };
      const reader: EventReader = (input, source, receivedAt) => {
        const id = String((input as { id: string }).id);
        return {
          ok: true,
          event: { source, id, type: 'paid', subject: null, time: times[id]!, data: '{}', receivedAt },
        };
      };
      const items = Object.keys(times).map((id, index) => ({ index, value: { id } }));
      const outcome = await runtime.ingest.handle(items, { kind: 'source', source: 'shop' }, reader, {
        checked: true,
      });
      expect(outcome.status).toBe(200);
      expect(outcome.accepted).toBe(2);
      expect(outcome.rejected.map((r) => [r.index, r.field])).toEqual([
        [1, 'time'],
        [2, 'time'],
        [3, 'time'],
      ]);
      expect(outcome.rejected[0]!.error).toBe(
        'time must be an RFC 3339 timestamp or epoch milliseconds, not NaN',
      );
      expect(outcome.rejected[2]!.error).toBe(
        'time must be between the years 0001 and 9999, not 10000000000000000 (epoch milliseconds)',
      );
      const rows = await runtime.store.query('SELECT id FROM events ORDER BY seq');
      expect(rows.map((r) => r.id)).toEqual(['ok1', 'ok2']);
    } finally {
      await runtime.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
