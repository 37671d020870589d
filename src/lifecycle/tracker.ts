import { createHash } from 'node:crypto';
import { Mutex } from '../core/mutex.js';
import { parseDuration } from '../core/time.js';
import { Params } from '../store/sql-params.js';
import type { Migration, Row, Store } from '../store/store.js';
import type { LifecycleConfig } from './config.js';

export const LIFECYCLE_MIGRATIONS: readonly Migration[] = [
  {
    component: 'lifecycles',
    version: 1,
    name: 'create lifecycle registry',
    up: `CREATE TABLE IF NOT EXISTS panoramix_lifecycles (
           name TEXT NOT NULL, version TEXT NOT NULL, folded_seq BIGINT NOT NULL, rebuilt_at TIMESTAMPTZ,
           PRIMARY KEY (name, version))`,
  },
];

/** A message's record: when each stage was first seen and how often, and what that means. */
export interface MessageRecord {
  readonly messageId: string;
  readonly app: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly events: number;
  readonly currentStage: string | null;
  readonly stages: {
    stage: string;
    at: string | null;
    count: number;
    status: 'seen' | 'missing' | 'pending' | 'overdue' | 'skipped';
  }[];
  readonly missing: string[];
  readonly overdue: string[];
  readonly anomalies: string[];
}

/** Filters of the message list. */
export interface MessageFilter {
  readonly app?: string;
  readonly currentStage?: string;
  readonly missing?: string;
  readonly overdue?: boolean;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * One lifecycle's records, one row per message id, as Mars's EventAggregator and EventStore kept them: each
 * fold aggregates the new events per message in SQL and upserts them with merges that do not care about
 * order (earliest time per stage, counts added, first/last seen), so out-of-order and repeated delivery give
 * the same record, and a rebuild from history gives the same rows as folding as events came.
 */
export class LifecycleTracker {
  readonly stages: readonly string[];
  readonly table: string;
  private readonly version: string;
  private readonly lock = new Mutex();

  constructor(
    readonly name: string,
    readonly def: LifecycleConfig,
    private readonly store: Store,
  ) {
    this.stages = [...def.stages, ...def.terminal];
    this.version = createHash('sha256')
      .update(JSON.stringify([def.key, def.app, def.sources, this.stages]))
      .digest('hex')
      .slice(0, 10);
    this.table = store.dialect.quoteIdent(`lc_${name}_${this.version}`);
  }

  /** The SQL reading the message id from an event. */
  keySql(): string {
    return this.def.key === 'subject'
      ? 'subject'
      : this.store.dialect.jsonText('data', this.def.key.split('.').slice(1));
  }

  async init(): Promise<void> {
    await this.store.migrate(LIFECYCLE_MIGRATIONS);
    const cols = this.stages
      .map((_, i) => `at_${i} TIMESTAMPTZ, n_${i} BIGINT NOT NULL DEFAULT 0`)
      .join(', ');
    await this.store.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (msg_key TEXT PRIMARY KEY, app TEXT, first_seen TIMESTAMPTZ NOT NULL,
         last_seen TIMESTAMPTZ NOT NULL, events BIGINT NOT NULL, ${cols})`,
    );
    await this.store.exec(
      'INSERT INTO panoramix_lifecycles (name, version, folded_seq) VALUES ($1, $2, 0) ON CONFLICT (name, version) DO NOTHING',
      [this.name, this.version],
    );
  }

  async foldedSeq(): Promise<number> {
    const rows = await this.store.query(
      'SELECT folded_seq FROM panoramix_lifecycles WHERE name = $1 AND version = $2',
      [this.name, this.version],
    );
    return Number(rows[0]?.folded_seq ?? 0);
  }

  /** Folds events committed since the last fold (up to the newest) into the records. */
  fold(): Promise<number> {
    return this.lock.run(async () => {
      const from = await this.foldedSeq();
      const to = await this.store.lastSeq();
      if (to <= from) return 0;
      // The folded seq moves first, and only from the value read: of several workers folding at once, one
      // wins the row and the others roll back, so no range is counted twice.
      let won = true;
      await this.store
        .transaction(async (tx) => {
          const moved = await tx.query(
            'UPDATE panoramix_lifecycles SET folded_seq = $1 WHERE name = $2 AND version = $3 AND folded_seq = $4 RETURNING folded_seq',
            [to, this.name, this.version, from],
          );
          if (moved.length === 0) throw new Error('raced');
          const upsert = this.upsertSql(from, to);
          await tx.exec(upsert.sql, upsert.params);
        })
        .catch((err: Error) => {
          if (err.message !== 'raced' && !/conflict/i.test(err.message)) throw err;
          won = false;
        });
      return won ? to - from : 0;
    });
  }

  /** Recomputes every record from the whole history. */
  rebuild(): Promise<void> {
    return this.lock.run(async () => {
      const to = await this.store.lastSeq();
      await this.store.transaction(async (tx) => {
        await tx.exec(`DELETE FROM ${this.table}`);
        const upsert = this.upsertSql(0, to);
        await tx.exec(upsert.sql, upsert.params);
        await tx.exec(
          'UPDATE panoramix_lifecycles SET folded_seq = $1, rebuilt_at = $2 WHERE name = $3 AND version = $4',
          [to, new Date(), this.name, this.version],
        );
      });
    });
  }

  /** Removes records whose last event is older than the retention (the events stay in the store). */
  async expire(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - parseDuration(this.def.retention));
    const [{ n }] = (await this.store.query(`SELECT count(*) AS n FROM ${this.table} WHERE last_seen < $1`, [
      cutoff,
    ])) as [{ n: number }];
    await this.store.exec(`DELETE FROM ${this.table} WHERE last_seen < $1`, [cutoff]);
    return n;
  }

  // Seqs are ours (whole numbers, in the text); stage and source names are bound.
  private upsertSql(lo: number, hi: number): { sql: string; params: unknown[] } {
    const d = this.store.dialect;
    const p = new Params();
    const appSql = this.def.app ? d.jsonText('data', this.def.app.split('.').slice(1)) : 'NULL';
    const per = this.stages.flatMap((s, i) => {
      const type = p.add(s);
      return [
        `min(time) FILTER (WHERE type = ${type}) AS at_${i}`,
        `count(*) FILTER (WHERE type = ${type}) AS n_${i}`,
      ];
    });
    const types = p.list(this.stages);
    const sources = this.def.sources?.length ? ` AND source IN (${p.list(this.def.sources)})` : '';
    // The current row is named by its table: PostgreSQL refuses unqualified names here as ambiguous.
    const t = this.table;
    const set = [
      `app = coalesce(${t}.app, excluded.app)`,
      `first_seen = least(${t}.first_seen, excluded.first_seen)`,
      `last_seen = greatest(${t}.last_seen, excluded.last_seen)`,
      `events = ${t}.events + excluded.events`,
      ...this.stages.flatMap((_, i) => [
        `at_${i} = least(${t}.at_${i}, excluded.at_${i})`,
        `n_${i} = ${t}.n_${i} + excluded.n_${i}`,
      ]),
    ];
    const sql = `INSERT INTO ${this.table} (msg_key, app, first_seen, last_seen, events, ${this.stages.map((_, i) => `at_${i}, n_${i}`).join(', ')})
      SELECT ${this.keySql()} AS msg_key, min(${appSql}) AS app, min(time), max(time), count(*), ${per.join(', ')}
        FROM events
       WHERE seq > ${Math.trunc(lo)} AND seq <= ${Math.trunc(hi)} AND type IN (${types})${sources}
         AND ${this.keySql()} IS NOT NULL
       GROUP BY 1
      ON CONFLICT (msg_key) DO UPDATE SET ${set.join(', ')}`;
    return { sql, params: p.values };
  }

  /** SQL conditions over a record row, for list filters. */
  private conditions(f: MessageFilter, now: Date, bind: (v: unknown) => string): string[] {
    const out: string[] = [];
    const idx = (s: string) => {
      const i = this.stages.indexOf(s);
      if (i < 0)
        throw new LifecycleError(`${s} is not a stage of ${this.name} (stages: ${this.stages.join(', ')})`);
      return i;
    };
    const terminalSeen = this.def.terminal.length
      ? `(${this.def.terminal.map((t) => `at_${idx(t)} IS NOT NULL`).join(' OR ')})`
      : 'FALSE';
    if (f.app) out.push(`app = ${bind(f.app)}`);
    if (f.from) out.push(`last_seen >= ${bind(f.from)}`);
    if (f.to) out.push(`first_seen < ${bind(f.to)}`);
    if (f.missing) out.push(this.missingSql(idx(f.missing), terminalSeen, now, bind));
    if (f.currentStage) out.push(`${this.currentStageSql(bind)} = ${bind(f.currentStage)}`);
    if (f.overdue) {
      const parts = Object.entries(this.def.deadlines).map(([s, dl]) =>
        this.overdueSql(idx(s), idx(dl.after), dl.within, terminalSeen, now, bind),
      );
      out.push(parts.length ? `(${parts.join(' OR ')})` : 'FALSE');
    }
    return out;
  }

  private missingSql(k: number, terminalSeen: string, now: Date, bind: (v: unknown) => string): string {
    const later = this.def.stages.map((_, j) => j).filter((j) => j > k);
    const gap = later.length ? `(${later.map((j) => `at_${j} IS NOT NULL`).join(' OR ')})` : 'FALSE';
    const dl = this.def.deadlines[this.stages[k]!];
    const overdue = dl
      ? ` OR ${this.overdueSql(k, this.stages.indexOf(dl.after), dl.within, terminalSeen, now, bind)}`
      : '';
    return `(at_${k} IS NULL AND (${gap}${overdue}))`;
  }

  private overdueSql(
    k: number,
    after: number,
    within: string,
    terminalSeen: string,
    now: Date,
    bind: (v: unknown) => string,
  ): string {
    const cutoff = new Date(now.getTime() - parseDuration(within));
    return `(at_${k} IS NULL AND at_${after} IS NOT NULL AND at_${after} < ${bind(cutoff)} AND NOT ${terminalSeen})`;
  }

  // The furthest expected stage reached, or the terminal stage when one was seen.
  private currentStageSql(bind: (v: unknown) => string): string {
    const whens = [
      ...this.def.terminal.map((t) => `WHEN at_${this.stages.indexOf(t)} IS NOT NULL THEN ${bind(t)}`),
      ...[...this.def.stages.keys()]
        .reverse()
        .map((i) => `WHEN at_${i} IS NOT NULL THEN ${bind(this.def.stages[i]!)}`),
    ];
    return `(CASE ${whens.join(' ')} ELSE NULL END)`;
  }

  async list(f: MessageFilter = {}, now = new Date()): Promise<{ messages: MessageRecord[]; total: number }> {
    const p = new Params();
    const bind = (v: unknown) => p.add(v);
    const params = p.values;
    const where = this.conditions(f, now, bind);
    const w = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const [{ n }] = (await this.store.query(`SELECT count(*) AS n FROM ${this.table}${w}`, params)) as [
      { n: number },
    ];
    const limit = Math.min(f.limit ?? 50, 1000);
    const rows = await this.store.query(
      `SELECT * FROM ${this.table}${w} ORDER BY last_seen DESC, msg_key LIMIT ${bind(limit)} OFFSET ${bind(f.offset ?? 0)}`,
      params,
    );
    return { messages: rows.map((r) => this.record(r, now)), total: n };
  }

  async get(messageId: string, now = new Date()): Promise<MessageRecord | undefined> {
    const rows = await this.store.query(`SELECT * FROM ${this.table} WHERE msg_key = $1`, [messageId]);
    return rows[0] ? this.record(rows[0], now) : undefined;
  }

  /** Messages per stage reached (the funnel), and per terminal stage. */
  async funnel(app?: string): Promise<{ stage: string; messages: number }[]> {
    const sel = this.stages.map((_, i) => `count(at_${i}) AS s${i}`).join(', ');
    const rows = await this.store.query(
      `SELECT ${sel} FROM ${this.table}${app ? ' WHERE app = $1' : ''}`,
      app ? [app] : [],
    );
    return this.stages.map((stage, i) => ({ stage, messages: Number(rows[0]?.[`s${i}`] ?? 0) }));
  }

  /** Per-app statistics: messages, completed (reached the last stage), ended by a terminal stage. */
  async apps(): Promise<Row[]> {
    const last = this.def.stages.length - 1;
    const term =
      this.def.terminal.map((t) => `at_${this.stages.indexOf(t)} IS NOT NULL`).join(' OR ') || 'FALSE';
    return this.store.query(
      `SELECT app, count(*) AS messages, count(at_${last}) AS completed, count(*) FILTER (WHERE ${term}) AS terminated,
              min(first_seen) AS first_seen, max(last_seen) AS last_seen
         FROM ${this.table} GROUP BY app ORDER BY messages DESC`,
    );
  }

  /** A message's events from the store, in time order. */
  async events(messageId: string): Promise<Row[]> {
    const p = new Params();
    const key = p.add(messageId);
    const types = p.list(this.stages);
    const sources = this.def.sources?.length ? ` AND source IN (${p.list(this.def.sources)})` : '';
    return this.store.query(
      `SELECT seq, source, id, type, time, received_at, CAST(data AS TEXT) AS data FROM events
        WHERE ${this.keySql()} = ${key} AND type IN (${types})${sources}
        ORDER BY time, seq`,
      p.values,
    );
  }

  private record(r: Row, now: Date): MessageRecord {
    const at = this.stages.map((_, i) => (r[`at_${i}`] as Date | null) ?? null);
    const count = this.stages.map((_, i) => Number(r[`n_${i}`] ?? 0));
    const terminalAt = this.def.terminal
      .map((t) => at[this.stages.indexOf(t)]!)
      .filter((x): x is Date => x !== null);
    const terminal = terminalAt.length > 0;
    let furthest = -1;
    this.def.stages.forEach((_, i) => {
      if (at[i]) furthest = i;
    });
    const overdue: string[] = [];
    for (const [s, dl] of Object.entries(this.def.deadlines)) {
      const a = at[this.stages.indexOf(dl.after)];
      if (
        !terminal &&
        !at[this.stages.indexOf(s)] &&
        a &&
        a.getTime() + parseDuration(dl.within) < now.getTime()
      )
        overdue.push(s);
    }
    const stages = this.stages.map((stage, i) => {
      const isTerminal = i >= this.def.stages.length;
      let status: MessageRecord['stages'][number]['status'] = 'seen';
      if (!at[i])
        status = overdue.includes(stage)
          ? 'overdue'
          : isTerminal
            ? 'skipped'
            : i < furthest
              ? 'missing'
              : terminal
                ? 'skipped'
                : 'pending';
      return { stage, at: at[i]?.toISOString() ?? null, count: count[i]!, status };
    });
    const anomalies: string[] = [];
    for (const s of stages) if (s.count > 1) anomalies.push(`${s.stage} seen ${s.count} times`);
    if (terminal) {
      const end = Math.min(...terminalAt.map((t) => t.getTime()));
      for (let i = 0; i < this.def.stages.length; i++)
        if (at[i] && at[i]!.getTime() > end) anomalies.push(`${this.stages[i]} after a terminal stage`);
    }
    const lastTerminal = terminalAt.length
      ? this.def.terminal[
          this.def.terminal
            .map((t) => at[this.stages.indexOf(t)]?.getTime() ?? -1)
            .reduce((best, v, i, arr) => (v > arr[best]! ? i : best), 0)
        ]!
      : null;
    return {
      messageId: r.msg_key as string,
      app: (r.app as string | null) ?? null,
      firstSeen: (r.first_seen as Date).toISOString(),
      lastSeen: (r.last_seen as Date).toISOString(),
      events: Number(r.events),
      currentStage: lastTerminal ?? (furthest >= 0 ? this.def.stages[furthest]! : null),
      stages,
      missing: stages.filter((s) => s.status === 'missing' || s.status === 'overdue').map((s) => s.stage),
      overdue,
      anomalies,
    };
  }
}

/** A request error about a lifecycle (unknown stage): HTTP answers 400. */
export class LifecycleError extends Error {}
