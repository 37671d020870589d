import type { Migration } from '../store/store.js';

/**
 * The matching tables. Transactions arrive as events (the store keeps every one, append-only) and are folded
 * into typed tables keyed by the event's seq, so a transaction's id is stable and its raw record is its event.
 */
export const MATCH_MIGRATIONS: readonly Migration[] = [
  {
    component: 'matching',
    version: 1,
    name: 'reference data',
    up: `CREATE TABLE IF NOT EXISTS match_providers (
           slug TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);
         CREATE TABLE IF NOT EXISTS match_schemes (
           slug TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);
         CREATE TABLE IF NOT EXISTS match_merchants (
           identifier TEXT NOT NULL, id_type TEXT NOT NULL, provider TEXT NOT NULL, scheme TEXT NOT NULL,
           location TEXT, created_at TIMESTAMPTZ NOT NULL,
           PRIMARY KEY (identifier, id_type, provider))`,
  },
  {
    component: 'matching',
    version: 2,
    name: 'transactions, imports and matches',
    up: `CREATE TABLE IF NOT EXISTS match_imports (
           match_group TEXT PRIMARY KEY, side TEXT NOT NULL, origin TEXT NOT NULL, name TEXT,
           sha256 TEXT, records BIGINT NOT NULL, accepted BIGINT NOT NULL, duplicates BIGINT NOT NULL,
           rejected BIGINT NOT NULL, imported_at TIMESTAMPTZ NOT NULL);
         CREATE TABLE IF NOT EXISTS match_import_files (sha256 TEXT PRIMARY KEY, match_group TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS match_payments (
           id BIGINT PRIMARY KEY, provider TEXT NOT NULL, transaction_id TEXT NOT NULL, feed_type TEXT NOT NULL,
           merchant_id TEXT NOT NULL, settlement_key TEXT, tx_time TIMESTAMP NOT NULL, has_time BOOLEAN NOT NULL,
           amount DECIMAL(18,3) NOT NULL, currency TEXT NOT NULL, card_token TEXT, first_six TEXT,
           last_four TEXT, auth_code TEXT, approval_code TEXT, scheme TEXT, status TEXT NOT NULL,
           match_group TEXT, imported_at TIMESTAMPTZ NOT NULL,
           UNIQUE (provider, feed_type, transaction_id));
         CREATE TABLE IF NOT EXISTS match_scheme_txs (
           id BIGINT PRIMARY KEY, scheme TEXT NOT NULL, transaction_id TEXT NOT NULL, tx_time TIMESTAMP NOT NULL,
           has_time BOOLEAN NOT NULL, amount DECIMAL(18,3) NOT NULL, currency TEXT NOT NULL, card_token TEXT,
           first_six TEXT, last_four TEXT, auth_code TEXT, status TEXT NOT NULL, match_group TEXT,
           imported_at TIMESTAMPTZ NOT NULL,
           UNIQUE (scheme, transaction_id));
         CREATE TABLE IF NOT EXISTS match_scheme_mids (scheme_tx_id BIGINT NOT NULL, merchant_id TEXT NOT NULL);
         CREATE SEQUENCE IF NOT EXISTS match_ids;
         CREATE TABLE IF NOT EXISTS match_matches (
           id BIGINT PRIMARY KEY, payment_id BIGINT NOT NULL UNIQUE, scheme_tx_id BIGINT UNIQUE,
           scheme TEXT NOT NULL, match_type TEXT NOT NULL, decided_by TEXT NOT NULL, candidates INTEGER NOT NULL,
           forced_by TEXT, matched_at TIMESTAMPTZ NOT NULL);
         CREATE TABLE IF NOT EXISTS match_exports (
           match_id BIGINT PRIMARY KEY, status TEXT NOT NULL, attempts INTEGER NOT NULL,
           next_attempt_at TIMESTAMPTZ NOT NULL, last_error TEXT, exported_at TIMESTAMPTZ, run_id TEXT);
         CREATE TABLE IF NOT EXISTS match_checkins (
           component TEXT PRIMARY KEY, checked_in_at TIMESTAMPTZ NOT NULL, detail TEXT);
         CREATE TABLE IF NOT EXISTS match_state (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
  },
];
