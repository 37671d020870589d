import type { Migration } from '../store.js';

/**
 * DuckDB's events table. No unique index on the ingest path (it costs 4x in append speed and memory): the
 * adapter enforces (source, ce_source, id) with its key set, verified against key_hash on a hit.
 */
export const DUCKDB_EVENT_MIGRATIONS: readonly Migration[] = [
  {
    component: 'events',
    version: 1,
    name: 'create events',
    up: `CREATE TABLE IF NOT EXISTS events (
           seq BIGINT NOT NULL,
           key_hash BIGINT NOT NULL,
           source VARCHAR NOT NULL,
           id VARCHAR NOT NULL,
           type VARCHAR NOT NULL,
           subject VARCHAR,
           time TIMESTAMPTZ NOT NULL,
           received_at TIMESTAMPTZ NOT NULL,
           data JSON NOT NULL
         )`,
  },
  {
    component: 'events',
    version: 2,
    name: 'the highest seq ever given out, kept when events are deleted so no seq is given out twice',
    up: 'CREATE TABLE IF NOT EXISTS event_seq_floor (seq BIGINT NOT NULL)',
  },
  {
    component: 'events',
    version: 3,
    name: 'the CloudEvents source as sent (old rows take their source name) and the other CloudEvents attributes',
    up: `ALTER TABLE events ADD COLUMN ce_source VARCHAR;
         ALTER TABLE events ADD COLUMN ce_attributes JSON;
         UPDATE events SET ce_source = source`,
  },
  {
    // A migration of its own: DuckDB refuses the constraint in the transaction that filled the column.
    component: 'events',
    version: 4,
    name: 'ce_source is required',
    up: 'ALTER TABLE events ALTER COLUMN ce_source SET NOT NULL',
  },
];
