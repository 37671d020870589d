import type { SqlClient, Store } from '../store/store.js';
import type { ProjectionPlan } from './plan.js';

/**
 * A keepHistory projection's kept rows: the partial rows of events that retention removed, in the same shape
 * as its batch rows plus the retention run (`_run`) that saved them. They belong to the definition (its hash),
 * not to a build, so every rebuild of the same definition merges them; a changed definition starts without.
 */
export function historyTables(store: Store, plan: ProjectionPlan): { table: string; pairs: string[] } {
  const q = (s: string) => store.dialect.quoteIdent(`proj_${plan.name}_${plan.hash}_${s}`);
  return { table: q('h'), pairs: plan.pairs.map((_, i) => q(`hp${i}`)) };
}

/**
 * Creates the history tables when missing, empty, with the partial rows' columns after `_run`; on `db`, the
 * deletion's own transaction when there is one (another connection could wait for the deletion to end).
 */
export async function ensureHistory(
  store: Store,
  plan: ProjectionPlan,
  db: SqlClient = store,
): Promise<void> {
  const h = historyTables(store, plan);
  const empty = (sql: string) =>
    `SELECT CAST(0 AS ${store.dialect.types.bigint}) AS "_run", p.* FROM (${sql}) p WHERE FALSE`;
  await db.exec(`CREATE TABLE IF NOT EXISTS ${h.table} AS ${empty(plan.partialSql(0, 0))}`);
  for (const [i, pairs] of plan.pairs.entries())
    await db.exec(`CREATE TABLE IF NOT EXISTS ${h.pairs[i]} AS ${empty(pairs(0, 0))}`);
}

/** The last retention run whose rows the history holds (0: none): a version built now merges up to it. */
export async function historyUpTo(db: SqlClient, store: Store, plan: ProjectionPlan): Promise<number> {
  const rows = await db.query(
    `SELECT coalesce(max("_run"), 0) AS r FROM ${historyTables(store, plan).table}`,
  );
  return Number(rows[0]?.r ?? 0);
}

/**
 * Saves the partial rows of the events `where` matches as one new run, in the deletion's transaction: the
 * rows and the removal of their events commit together or not at all.
 */
export async function saveHistory(
  tx: SqlClient,
  store: Store,
  plan: ProjectionPlan,
  where: { readonly sql: string; readonly params: readonly unknown[] },
): Promise<void> {
  const h = historyTables(store, plan);
  const run = (await historyUpTo(tx, store, plan)) + 1;
  const all = Number.MAX_SAFE_INTEGER;
  const params = [...where.params, run];
  const r = `CAST($${params.length} AS ${store.dialect.types.bigint})`;
  await tx.exec(
    `INSERT INTO ${h.table} SELECT ${r}, p.* FROM (${plan.partialSql(0, all, where.sql)}) p`,
    params,
  );
  for (const [i, pairs] of plan.pairs.entries())
    await tx.exec(`INSERT INTO ${h.pairs[i]} SELECT ${r}, p.* FROM (${pairs(0, all, where.sql)}) p`, params);
}
