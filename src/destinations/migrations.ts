import type { Migration } from '../store/store.js';

/**
 * Each destination's durable state (its cursor, whether it is paused, since when it has been failing) and
 * the events its receiver refused. The cursor is a seq: every event at or below it has been delivered,
 * dead-lettered or filtered out.
 */
export const DESTINATION_MIGRATIONS: readonly Migration[] = [
  {
    component: 'destinations',
    version: 1,
    name: 'cursors and dead letters',
    up: `CREATE TABLE IF NOT EXISTS panoramix_destinations (
           name TEXT PRIMARY KEY,
           cursor_seq BIGINT NOT NULL,
           paused BOOLEAN NOT NULL,
           paused_reason TEXT,
           failing_since TIMESTAMPTZ,
           last_error TEXT,
           last_status INTEGER,
           last_delivered_at TIMESTAMPTZ,
           replay_from BIGINT,
           replay_to BIGINT,
           updated_at TIMESTAMPTZ NOT NULL);
         CREATE TABLE IF NOT EXISTS panoramix_destination_dead_letters (
           destination TEXT NOT NULL,
           seq BIGINT NOT NULL,
           source TEXT NOT NULL,
           event_id TEXT NOT NULL,
           status INTEGER NOT NULL,
           response TEXT NOT NULL,
           failed_at TIMESTAMPTZ NOT NULL,
           PRIMARY KEY (destination, seq))`,
  },
  {
    component: 'destinations',
    version: 2,
    name: 'dead letters sent again on request',
    up: `ALTER TABLE panoramix_destinations ADD COLUMN redeliver_requested_at TIMESTAMPTZ;
         ALTER TABLE panoramix_destination_dead_letters ADD COLUMN requested_at TIMESTAMPTZ`,
  },
];
