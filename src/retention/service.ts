import { Cron } from 'croner';
import type { Runtime } from '../runtime.js';
import { runRetention } from './run.js';

/** Runs retention on its schedule (UTC), never twice at once; the batch leader's job in server mode. */
export function retentionService(runtime: Runtime): void {
  const config = runtime.config.retention;
  if (!config) return;
  const log = runtime.logger.child({ component: 'retention' });
  const job = new Cron(config.schedule, { protect: true, timezone: 'UTC' }, async () => {
    try {
      const run = await runRetention(runtime);
      log.info(
        {
          events: run.events,
          partitionsDropped: run.partitionsDropped.length,
          compacted: run.compacted,
          projectionsRebuilt: run.projectionsRebuilt,
        },
        'retention run',
      );
    } catch (err) {
      log.error({ err }, 'retention run failed; the next scheduled run retries');
    }
  });
  runtime.onClose(() => job.stop());
}
