import type { Feature, Role } from '../core/feature.js';
import type { PartHealth } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { ReportRunner } from './runner.js';
import { ReportScheduler } from './scheduler.js';

/**
 * The reports feature: the runner (shared by the scheduler, the HTTP API and the CLI) and, where reports are
 * scheduled (everything in one process, or the `batch` leader), a tick a second that runs each report at its
 * cron times with end = the scheduled time.
 */
export class Reports implements Feature {
  readonly name = 'reports';
  readonly roles: readonly Role[] = ['all', 'batch'];
  readonly runner: ReportRunner;
  /** The running scheduler, once started (for GET /v1/reports). */
  scheduler: ReportScheduler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly runtime: Runtime) {
    this.runner = new ReportRunner(runtime);
  }

  async start(): Promise<void> {
    const { runtime, runner } = this;
    await runner.migrate();
    const scheduler = new ReportScheduler(
      runtime.config.reports,
      runtime.store,
      (name, t) => runner.run(name, { scheduledFor: t, end: t }),
      runtime.logger.child({ component: 'reports' }),
    );
    await scheduler.init(new Date());
    this.scheduler = scheduler;
    this.timer = setInterval(() => {
      this.ticking = scheduler.tick(new Date());
    }, 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  health(): PartHealth | undefined {
    return this.scheduler && { status: 'up', detail: { scheduled: this.scheduler.upcoming() } };
  }
}

/** The report runner of a runtime (shared by the scheduler, the HTTP API and the CLI). */
export function reportRunner(runtime: Runtime): ReportRunner {
  return runtime.feature(Reports).runner;
}

/** The running scheduler, if the service started (for GET /v1/reports). */
export function reportScheduler(runtime: Runtime): ReportScheduler | undefined {
  return runtime.feature(Reports).scheduler;
}
