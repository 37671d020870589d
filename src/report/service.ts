import { Counter } from 'prom-client';
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

  private readonly runs: Counter<'report' | 'status'>;

  constructor(private readonly runtime: Runtime) {
    this.runner = new ReportRunner(runtime);
    this.runs = new Counter({
      name: 'panoramix_report_runs_total',
      help: 'Finished report runs, by report and status (ok, failed, skipped), whichever process ran them',
      labelNames: ['report', 'status'],
      registers: [runtime.telemetry.registry],
    });
  }

  /** The recorded runs by report and status, from the store (before a scrape of /metrics). */
  async metrics(): Promise<void> {
    if (Object.keys(this.runtime.config.reports).length === 0) return;
    const rows = await this.runtime.store
      .query(
        "SELECT report, status, count(*) AS n FROM panoramix_report_runs WHERE status <> 'running' GROUP BY report, status",
      )
      // Not there yet: no process that runs reports has started on this store.
      .catch(() => []);
    this.runs.reset();
    for (const r of rows) this.runs.inc({ report: String(r.report), status: String(r.status) }, Number(r.n));
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
