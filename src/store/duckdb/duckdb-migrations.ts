import type { Migration } from '../store.js';

/**
 * DuckDB's events table. No unique index on the ingest path (it costs 4x in append speed and memory): the
 * adapter enforces (source, id) with its key set, verified against key_hash on a hit.
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
];
