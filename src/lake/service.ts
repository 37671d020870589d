import { Cron } from 'croner';
import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import { extractAndLoad } from './extract-load.js';

/** The lake feature: where schedules run, each lake table's extract-and-load on its cron (UTC). */
export class Lake implements Feature {
  readonly name = 'lake';
  readonly roles: readonly Role[] = ['all', 'batch'];
  private jobs: Cron[] = [];

  constructor(private readonly runtime: Runtime) {}

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
