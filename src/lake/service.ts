import { Cron } from 'croner';
import { Counter } from 'prom-client';
import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import { extractAndLoad } from './extract-load.js';

/** The lake feature: where schedules run, each lake table's extract-and-load on its cron (UTC). */
export class Lake implements Feature {
  readonly name = 'lake';
  readonly roles: readonly Role[] = ['all', 'batch'];
  private jobs: Cron[] = [];
  private readonly runs: Counter<'status'>;

  constructor(private readonly runtime: Runtime) {
    this.runs = new Counter({
      name: 'panoramix_lake_runs_total',
      help: 'Finished lake extract-and-load runs, by status (ok, failed), scheduled or by hand',
      labelNames: ['status'],
      registers: [runtime.telemetry.registry],
    });
  }

  /** The recorded runs by status, from the store (before a scrape of /metrics). */
  async metrics(): Promise<void> {
    if (!this.runtime.config.lake) return;
    const rows = await this.runtime.store
      .query(
        "SELECT status, count(*) AS n FROM panoramix_lake_runs WHERE status <> 'running' GROUP BY status",
      )
      // Not there yet: no lake run has happened on this store.
      .catch(() => []);
    this.runs.reset();
    for (const r of rows) this.runs.inc({ status: String(r.status) }, Number(r.n));
  }

  async start(): Promise<void> {
    this.jobs = lakeSchedules(this.runtime);
  }

  async stop(): Promise<void> {
    for (const j of this.jobs) j.stop();
  }
}

/** Schedules each lake table's extract-and-load on its cron schedule (UTC), never twice at once. */
function lakeSchedules(runtime: Runtime): Cron[] {
  const lake = runtime.config.lake;
  if (!lake) return [];
  const log = runtime.logger.child({ component: 'lake' });
  const jobs: Cron[] = [];
  for (const [name, table] of Object.entries(lake.tables)) {
    if (!table.schedule) continue;
    jobs.push(
      new Cron(table.schedule, { protect: true, timezone: 'UTC' }, async () => {
        try {
          const run = await extractAndLoad(runtime, { tables: [name] });
          log.info(
            {
              table: name,
              rows: run.rows,
              partitions: run.tables[0]?.partitions.length ?? 0,
              seconds: run.seconds,
            },
            'lake run',
          );
        } catch (err) {
          log.error({ err, table: name }, 'scheduled lake run failed');
        }
      }),
    );
  }
  return jobs;
}
