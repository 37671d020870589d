import type { Store } from '../store/store.js';
import { type DestinationConfig, kindOf } from './config.js';
import type { LagReading } from './metrics.js';
import { DESTINATION_MIGRATIONS } from './migrations.js';
import { type DeadLetter, type DestinationState, DestinationStates } from './state.js';

/** A destination as listed by the CLI, the API and the dashboard. */
export interface DestinationView {
  readonly name: string;
  readonly kind: string;
  readonly cursor: number;
  readonly lastSeq: number;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly paused: boolean;
  readonly pausedReason: string | null;
  readonly failingSince: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastDeliveredAt: string | null;
  readonly deadLetters: number;
  /** A replay in progress: from and to are cursors, progress the fraction done. */
  readonly replay: { readonly from: number; readonly to: number; readonly progress: number } | null;
}

/** Where a replay starts: after a seq, or at the first event received at or after a time. */
export type ReplayFrom = { readonly fromSeq: number } | { readonly since: Date };

/** The operations on destinations that people run (list, pause, resume, replay, dead letters). */
export class DestinationAdmin {
  readonly states: DestinationStates;

  private constructor(
    private readonly store: Store,
    readonly configs: Readonly<Record<string, DestinationConfig>>,
  ) {
    this.states = new DestinationStates(store);
  }

  /** Migrates the tables and gives every configured destination its state (a new one starts per `start`). */
  static async open(
    store: Store,
    configs: Readonly<Record<string, DestinationConfig>>,
  ): Promise<DestinationAdmin> {
    await store.migrate(DESTINATION_MIGRATIONS);
    const admin = new DestinationAdmin(store, configs);
    const latest = await store.lastSeq();
    for (const [name, c] of Object.entries(configs))
      await admin.states.ensure(name, c.start === 'earliest' ? 0 : latest);
    return admin;
  }

  /** The configured destinations' state, lag and dead-letter counts. */
  async list(): Promise<DestinationView[]> {
    const lastSeq = await this.store.lastSeq();
    const dead = await this.states.deadLetterCounts();
    const out: DestinationView[] = [];
    for (const st of await this.states.all()) {
      const config = this.configs[st.name];
      if (!config) continue; // removed from the configuration: its state stays, unlisted
      out.push({
        name: st.name,
        kind: config.projection ? `${kindOf(config)} (changes of ${config.projection})` : kindOf(config),
        cursor: st.cursor,
        lastSeq,
        lagEvents: Math.max(0, lastSeq - st.cursor),
        lagSeconds: await this.lagSeconds(st.cursor, lastSeq),
        paused: st.paused,
        pausedReason: st.pausedReason,
        failingSince: st.failingSince?.toISOString() ?? null,
        lastStatus: st.lastStatus,
        lastError: st.lastError,
        lastDeliveredAt: st.lastDeliveredAt?.toISOString() ?? null,
        deadLetters: dead.get(st.name) ?? 0,
        replay: replayOf(st),
      });
    }
    return out;
  }

  /** What the lag gauges of /metrics show. */
  async lag(): Promise<LagReading[]> {
    return (await this.list()).map((v) => ({
      name: v.name,
      events: v.lagEvents,
      seconds: v.lagSeconds,
      paused: v.paused,
      lastStatus: v.lastStatus,
    }));
  }

  async pause(name: string, reason = 'paused by hand'): Promise<DestinationState> {
    this.known(name);
    await this.states.pause(name, reason);
    return (await this.states.get(name))!;
  }

  async resume(name: string): Promise<DestinationState> {
    this.known(name);
    await this.states.resume(name);
    return (await this.states.get(name))!;
  }

  /** Sends again every event from a seq or a time on (a backfill); returns the replay's cursors. */
  async replay(name: string, from: ReplayFrom): Promise<{ from: number; to: number }> {
    this.known(name);
    const to = await this.store.lastSeq();
    let cursor: number;
    if ('fromSeq' in from) cursor = Math.max(0, from.fromSeq - 1);
    else {
      const rows = await this.store.query('SELECT min(seq) AS s FROM events WHERE received_at >= $1', [
        from.since,
      ]);
      const first = rows[0]?.s;
      cursor = first === null || first === undefined ? to : Number(first) - 1;
    }
    await this.states.rewind(name, cursor, to);
    return { from: cursor, to };
  }

  /** Sends the dead letters (these seqs, or all) again, before new events; returns how many will go. */
  async replayDeadLetters(name: string, seqs?: readonly number[]): Promise<{ deadLetters: number }> {
    this.known(name);
    if (this.configs[name]!.projection)
      throw new NotPossible(
        `${name} sends a change feed: its dead letters are rows that have changed since; replay from a seq instead`,
      );
    return { deadLetters: await this.states.requestRedelivery(name, seqs, new Date()) };
  }

  deadLetters(name: string, limit?: number): Promise<DeadLetter[]> {
    this.known(name);
    return this.states.deadLetters(name, limit);
  }

  private known(name: string): void {
    if (!this.configs[name]) {
      const names = Object.keys(this.configs);
      throw new UnknownDestination(
        `no destination named ${name}; destinations: ${names.length ? names.join(', ') : 'none'}`,
      );
    }
  }

  private async lagSeconds(cursor: number, lastSeq: number): Promise<number> {
    if (cursor >= lastSeq) return 0;
    const [next] = await this.store.readEvents(cursor, 1);
    return next ? Math.max(0, (Date.now() - next.receivedAt) / 1000) : 0;
  }
}

/** A name that is not a configured destination: a 404 for the API, a message for the CLI. */
export class UnknownDestination extends Error {}

/** An operation this destination cannot do: a 409 for the API, a message for the CLI. */
export class NotPossible extends Error {}

function replayOf(st: DestinationState): DestinationView['replay'] {
  if (st.replayFrom === null || st.replayTo === null) return null;
  const span = st.replayTo - st.replayFrom;
  const progress = span <= 0 ? 1 : Math.min(1, Math.max(0, (st.cursor - st.replayFrom) / span));
  return { from: st.replayFrom, to: st.replayTo, progress: Math.round(progress * 1000) / 1000 };
}
