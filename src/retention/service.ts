import { Cron } from 'croner';
import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import { runRetention } from './run.js';

/** The retention feature: runs retention on its schedule (UTC), never twice at once; the batch leader's job in server mode. */
export class Retention implements Feature {
  readonly name = 'retention';
  readonly roles: readonly Role[] = ['all', 'batch'];
  private job: Cron | undefined;

  constructor(private readonly runtime: Runtime) {}

  async start(): Promise<void> {
    const { runtime } = this;
    const config = runtime.config.retention;
    if (!config) return;
    const log = runtime.logger.child({ component: 'retention' });
    this.job = new Cron(config.schedule, { protect: true, timezone: 'UTC' }, async () => {
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
  }

  async stop(): Promise<void> {
    this.job?.stop();
  }
}
