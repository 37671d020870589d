import type { LifecycleTracker } from '../lifecycle/tracker.js';
import type { ProjectionEngine } from '../project/engine.js';
import { ensureHistory, historyTables } from '../project/history.js';
import { activeVersion } from '../project/registry.js';
import { type EventFilter, eventFilterSql } from '../store/event-filter.js';
import { Params } from '../store/sql-params.js';
import type { Store } from '../store/store.js';
import type { ErasureScope } from './config.js';

// Each place: a count of what the subject has there (taken before anything is removed, so a resumed request
// reports the same), and the removal, which finds nothing the second time.

/** The events of a scope, as the store's filter. */
export function scopeFilter(s: ErasureScope): EventFilter {
  return {
    anyOf: [
      {
        subject: s.subject,
        ...(s.source !== undefined ? { source: s.source } : {}),
        ...(s.type !== undefined ? { type: s.type } : {}),
        ...(s.since !== undefined ? { since: s.since } : {}),
        ...(s.until !== undefined ? { before: s.until } : {}),
      },
    ],
  };
}

export async function countEvents(store: Store, s: ErasureScope): Promise<number> {
  const w = eventFilterSql(scopeFilter(s));
  const [r] = await store.query(`SELECT count(*) AS n FROM events WHERE ${w.sql}`, w.params);
  return Number(r?.n ?? 0);
}

/** Rows of projections whose key or dimension is the subject (merged reads, kept history included). */
export async function countProjectionRows(engine: ProjectionEngine, subject: string): Promise<number> {
  let n = 0;
  for (const plan of engine.plans.values()) {
    const v = await activeVersion(engine.store, plan.name);
    if (!v || plan.subjectColumns.length === 0) continue;
    const [r] = await engine.store.query(
      `SELECT count(*) AS n FROM (${v.mergedSql}) m WHERE ${subjectMatch(engine.store, plan.subjectColumns)}`,
      [subject],
    );
    n += Number(r?.n ?? 0);
  }
  return n;
}

/** Kept-history rows whose key or dimension is the subject go (the events to recompute them are gone). */
export async function eraseFromHistory(engine: ProjectionEngine, subject: string): Promise<void> {
  await engine.exclusive(async () => {
    for (const plan of engine.plans.values()) {
      if (!plan.keepHistory || plan.subjectColumns.length === 0) continue;
      const h = historyTables(engine.store, plan);
      await ensureHistory(engine.store, plan);
      const cols = plan.subjectColumns;
      await engine.store.exec(`DELETE FROM ${h.table} WHERE ${subjectMatch(engine.store, cols)}`, [subject]);
      for (const t of h.pairs)
        await engine.store.exec(`DELETE FROM ${t} WHERE ${subjectMatch(engine.store, cols)}`, [subject]);
    }
  });
}

/**
 * Every projection rebuilt from the remaining events, so latest rows by key and aggregates of the affected
 * groups are recomputed; the versions replaced, which still hold the erased rows, are dropped at once.
 */
export async function rebuildProjections(engine: ProjectionEngine): Promise<void> {
  for (const name of engine.plans.keys()) await engine.rebuild(name);
  await engine.dropRetired();
}

const AUDIT_EXISTS =
  "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'panoramix_audit' AND table_schema = current_schema()";
const AUDIT_NAMING = 'SELECT id FROM panoramix_audit WHERE strpos(detail, $1) > 0';

/** Admin actions whose recorded detail names the subject (the erasure request's own body among them). */
export async function countAuditDetails(store: Store, subject: string): Promise<number> {
  if (Number((await store.query(AUDIT_EXISTS))[0]?.n ?? 0) === 0) return 0;
  const [r] = await store.query(`SELECT count(*) AS n FROM (${AUDIT_NAMING}) a`, [JSON.stringify(subject)]);
  return Number(r?.n ?? 0);
}

/** The admin log keeps who did what and when; the detail that names the subject is withheld. */
export async function scrubAuditDetails(store: Store, subject: string): Promise<void> {
  if (Number((await store.query(AUDIT_EXISTS))[0]?.n ?? 0) === 0) return;
  await store.exec(`UPDATE panoramix_audit SET detail = $2 WHERE id IN (${AUDIT_NAMING})`, [
    JSON.stringify(subject),
    JSON.stringify({ withheld: 'it named a subject erased since' }),
  ]);
}

function subjectMatch(store: Store, columns: readonly string[]): string {
  const text = store.dialect.types.text;
  return columns.map((c) => `CAST(${store.dialect.quoteIdent(c)} AS ${text}) = $1`).join(' OR ');
}

/** Lifecycle records of the subject: those keyed by it, and those its events fold into. */
export async function countLifecycleRecords(
  store: Store,
  tracker: LifecycleTracker,
  s: ErasureScope,
): Promise<number> {
  const w = eventFilterSql(scopeFilter(s), 2);
  const [r] = await store.query(
    `SELECT count(*) AS n FROM ${tracker.table} WHERE msg_key = $1
        OR msg_key IN (SELECT ${tracker.keySql()} FROM events WHERE ${w.sql})`,
    [s.subject, ...w.params],
  );
  return Number(r?.n ?? 0);
}

/** Quarantined inputs holding the subject's text as a JSON string ("u-42"), by id; binary ones are decoded. */
export async function quarantinedWith(store: Store, s: ErasureScope): Promise<string[]> {
  const needle = JSON.stringify(s.subject);
  const narrow = (first: number) => {
    const parts: string[] = [];
    const params = new Params(first);
    for (const [col, v] of [
      ['source', s.source],
      ['type', s.type],
    ] as const) {
      if (v !== undefined) parts.push(`${col} = ${params.add(v)}`);
    }
    return { sql: parts.map((p) => ` AND ${p}`).join(''), params: params.values };
  };
  const t = narrow(2);
  const text = await store.query(
    `SELECT id FROM panoramix_quarantine WHERE raw_encoding <> 'base64' AND strpos(raw, $1) > 0${t.sql}`,
    [needle, ...t.params],
  );
  const b = narrow(1);
  const binary = await store.query(
    `SELECT id, raw FROM panoramix_quarantine WHERE raw_encoding = 'base64'${b.sql}`,
    b.params,
  );
  return [
    ...text.map((r) => r.id as string),
    ...binary
      .filter((r) =>
        Buffer.from(r.raw as string, 'base64')
          .toString('utf8')
          .includes(needle),
      )
      .map((r) => r.id as string),
  ];
}

export async function deleteQuarantined(store: Store, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    await store.exec(`DELETE FROM panoramix_quarantine WHERE id IN (${new Params().list(part)})`, part);
  }
}

// A transaction is the subject's when its card token or its id (the subject of its event) is the subject.
const PAYMENTS = 'SELECT id FROM match_payments WHERE card_token = $1 OR transaction_id = $1';
const SCHEME_TXS = 'SELECT id FROM match_scheme_txs WHERE card_token = $1 OR transaction_id = $1';

export async function countTransactions(store: Store, subject: string): Promise<number> {
  const [r] = await store.query(
    `SELECT (SELECT count(*) FROM (${PAYMENTS}) p) + (SELECT count(*) FROM (${SCHEME_TXS}) s) AS n`,
    [subject],
  );
  return Number(r?.n ?? 0);
}

/** Removes the subject's transactions and their matches; their counterparts wait to be matched again. */
export async function eraseTransactions(store: Store, subject: string): Promise<void> {
  await store.transaction(async (tx) => {
    const matches = `SELECT id FROM match_matches WHERE payment_id IN (${PAYMENTS}) OR scheme_tx_id IN (${SCHEME_TXS})`;
    await tx.exec(
      `UPDATE match_payments SET status = 'pending' WHERE id IN (SELECT payment_id FROM match_matches WHERE id IN (${matches}))`,
      [subject],
    );
    await tx.exec(
      `UPDATE match_scheme_txs SET status = 'pending' WHERE id IN (SELECT scheme_tx_id FROM match_matches WHERE id IN (${matches}))`,
      [subject],
    );
    await tx.exec(`DELETE FROM match_exports WHERE match_id IN (${matches})`, [subject]);
    await tx.exec(`DELETE FROM match_matches WHERE id IN (${matches})`, [subject]);
    await tx.exec(`DELETE FROM match_scheme_mids WHERE scheme_tx_id IN (${SCHEME_TXS})`, [subject]);
    await tx.exec(`DELETE FROM match_payments WHERE id IN (${PAYMENTS})`, [subject]);
    await tx.exec(`DELETE FROM match_scheme_txs WHERE id IN (${SCHEME_TXS})`, [subject]);
  });
}
