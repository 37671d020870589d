import type { Migration } from '../store.js';
import { TRY_CAST_TYPES } from './postgres-dialect.js';

/**
 * PostgreSQL's events table, partitioned by month of event time. A primary key on a partitioned table must
 * include the partition key, so exactly-once on (source, ce_source, id) lives in its own table, event_keys, which the
 * append inserts into first (ON CONFLICT DO NOTHING) in the same statement. Partitions are created by the
 * append as months appear.
 */
export const POSTGRES_EVENT_MIGRATIONS: readonly Migration[] = [
  {
    component: 'events',
    version: 1,
    name: 'create events partitioned by month, and the exactly-once keys',
    up: `CREATE TABLE IF NOT EXISTS event_keys (source TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (source, id));
         CREATE TABLE IF NOT EXISTS events (
           seq BIGINT NOT NULL,
           key_hash BIGINT NOT NULL,
           source TEXT NOT NULL,
           id TEXT NOT NULL,
           type TEXT NOT NULL,
           subject TEXT,
           time TIMESTAMPTZ NOT NULL,
           received_at TIMESTAMPTZ NOT NULL,
           data JSONB NOT NULL
         ) PARTITION BY RANGE (time);
         CREATE INDEX IF NOT EXISTS events_seq ON events (seq);
         CREATE INDEX IF NOT EXISTS events_type_time ON events (type, time);
         CREATE INDEX IF NOT EXISTS events_subject ON events (subject);
         CREATE INDEX IF NOT EXISTS events_source_id ON events (source, id)`,
  },
  {
    component: 'events',
    version: 2,
    name: 'pmx_try_<type>(text): a cast that answers NULL instead of failing, for views over event data',
    up: Object.entries(TRY_CAST_TYPES)
      .map(
        ([type, t]) => `CREATE OR REPLACE FUNCTION pmx_try_${type}(v TEXT) RETURNS ${t!.sql}
           LANGUAGE plpgsql ${t!.volatility} PARALLEL SAFE AS $fn$
           BEGIN
             IF v IS NULL${t!.shape ? ` OR v !~ '${t!.shape}'` : ''} THEN RETURN NULL; END IF;
             ${t!.fast ? `IF v ~ '${t!.fast}' THEN RETURN CAST(v AS ${t!.sql}); END IF;` : ''}
             BEGIN
               RETURN CAST(${t!.guarded ?? 'v'} AS ${t!.sql});
             EXCEPTION WHEN data_exception THEN
               RETURN NULL;
             END;
           END $fn$;`,
      )
      .join('\n'),
  },
  {
    component: 'events',
    version: 3,
    name: 'the highest seq ever given out, kept when events are deleted so no seq is given out twice',
    up: 'CREATE TABLE IF NOT EXISTS event_seq_floor (seq BIGINT NOT NULL)',
  },
  {
    component: 'events',
    version: 4,
    name: 'the CloudEvents source as sent (old rows take their source name), in the exactly-once key; the other CloudEvents attributes',
    // event_keys holds '' for a CloudEvents source equal to the source (nearly every event): the column is
    // added without rewriting the keys, and the key index stays the size it was.
    up: `ALTER TABLE event_keys ADD COLUMN IF NOT EXISTS ce_source TEXT NOT NULL DEFAULT '';
         ALTER TABLE event_keys DROP CONSTRAINT IF EXISTS event_keys_pkey;
         ALTER TABLE event_keys ADD PRIMARY KEY (source, ce_source, id);
         ALTER TABLE events ADD COLUMN IF NOT EXISTS ce_source TEXT;
         UPDATE events SET ce_source = source WHERE ce_source IS NULL;
         ALTER TABLE events ALTER COLUMN ce_source SET NOT NULL;
         ALTER TABLE events ADD COLUMN IF NOT EXISTS ce_attributes JSONB`,
  },
  {
    component: 'events',
    version: 5,
    name: 'the highest seq given out, kept current by every append, so that the last seq is one row to read',
    // max(seq) over events walked back past every row of an append in flight (uncommitted, so skipped one
    // by one): each lastSeq during a 5,000-event append read 5,000 heap rows. Appends still start from
    // max(seq) (under the append lock nothing is in flight), so a process of the version before, which does
    // not keep this row, cannot be given a seq twice; only its appends lag the last seq until the next.
    up: `WITH top AS (SELECT greatest(coalesce((SELECT max(seq) FROM events), 0),
                                  coalesce((SELECT max(seq) FROM event_seq_floor), 0)) AS s),
              gone AS (DELETE FROM event_seq_floor)
         INSERT INTO event_seq_floor SELECT s FROM top`,
  },
];
