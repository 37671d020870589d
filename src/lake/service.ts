import { Cron } from 'croner';
import type { Runtime } from '../runtime.js';
import { extractAndLoad } from './extract-load.js';

/** Runs each lake table's extract-and-load on its cron schedule (UTC), never twice at once. */
export async function lakeService(runtime: Runtime): Promise<void> {
  const lake = runtime.config.lake;
  if (!lake) return;
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
  runtime.onClose(() => {
    for (const j of jobs) j.stop();
  });
}
