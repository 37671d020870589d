import type { Migration } from './store.js';

/** The event store's own schema; other components declare theirs beside their code. */
export const EVENT_MIGRATIONS: readonly Migration[] = [
  {
    component: 'events',
    version: 1,
    name: 'create events',
    up: (d) =>
      d.name === 'postgres'
        ? `CREATE TABLE IF NOT EXISTS events (
             seq BIGINT NOT NULL,
             key_hash BIGINT NOT NULL,
             source TEXT NOT NULL,
             id TEXT NOT NULL,
             type TEXT NOT NULL,
             subject TEXT,
             time TIMESTAMPTZ NOT NULL,
             received_at TIMESTAMPTZ NOT NULL,
             data JSONB NOT NULL,
             PRIMARY KEY (source, id)
           );
           CREATE UNIQUE INDEX IF NOT EXISTS events_seq ON events (seq);
           CREATE INDEX IF NOT EXISTS events_type_time ON events (type, time);
           CREATE INDEX IF NOT EXISTS events_subject ON events (subject)`
        : // DuckDB: no unique index on the ingest path (it costs 4x in append speed and memory); the
          // adapter enforces (source, id) with its key set, verified against key_hash on a hit.
          `CREATE TABLE IF NOT EXISTS events (
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
];
