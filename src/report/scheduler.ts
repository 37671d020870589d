import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { SqlClient } from '../store/store.js';
import type { ReportConfig } from './config.js';
import { lastScheduled } from './runs.js';

/** What the scheduler runs: one report at one scheduled time. */
export type RunScheduled = (name: string, scheduledFor: Date) => Promise<unknown>;

// A bound on catching up, so a long outage does not queue years of runs.
const MAX_CATCH_UP = 100;

/**
 * Runs reports on their cron schedules (UTC). Driven by tick(now), so tests use a fake clock: each tick runs
 * every report whose next time has come, with end = that scheduled time. After downtime, a report whose
 * policy is catch_up runs every missed time in order; skip runs only the latest one.
 */
export class ReportScheduler {
  private readonly next = new Map<string, Date | null>();

  constructor(
    private readonly reports: Readonly<Record<string, ReportConfig>>,
    private readonly db: SqlClient,
    private readonly runScheduled: RunScheduled,
    private readonly logger: Logger,
  ) {}

  /** Sets each report's next time from its last recorded run (or from now, for a first start). */
  async init(now: Date): Promise<void> {
    for (const [name, def] of Object.entries(this.reports)) {
      if (!def.schedule) continue;
      const last = await lastScheduled(this.db, name);
      this.next.set(name, nextAfter(def.schedule, last ?? now));
    }
  }

  /** The upcoming run of each scheduled report. */
  upcoming(): { name: string; schedule: string; next: string | null }[] {
    return [...this.next.entries()].map(([name, next]) => ({
      name,
      schedule: this.reports[name]!.schedule!,
      next: next?.toISOString() ?? null,
    }));
  }

  /** Runs what is due at `now`; resolves when those runs have finished. */
  async tick(now: Date): Promise<void> {
    const runs: Promise<unknown>[] = [];
    for (const [name, due] of this.next) {
      if (!due || due > now) continue;
      const def = this.reports[name]!;
      const times: Date[] = [];
      for (
        let t: Date | null = due;
        t && t <= now && times.length < MAX_CATCH_UP;
        t = nextAfter(def.schedule!, t)
      )
        times.push(t);
      const toRun = def.missed === 'catch_up' ? times : times.slice(-1);
      if (times.length > toRun.length)
        this.logger.warn(
          { report: name, missed: times.length - toRun.length },
          'skipping missed report runs (missed: skip)',
        );
      this.next.set(name, nextAfter(def.schedule!, times.at(-1)!));
      runs.push(
        (async () => {
          for (const t of toRun) {
            await this.runScheduled(name, t).catch((err: Error) =>
              this.logger.error({ err, report: name }, 'scheduled report failed'),
            );
          }
        })(),
      );
    }
    await Promise.all(runs);
  }
}

function nextAfter(schedule: string, after: Date): Date | null {
  return new Cron(schedule, { paused: true, timezone: 'UTC' }).nextRun(after);
}
