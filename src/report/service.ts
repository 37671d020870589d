import type { Runtime } from '../runtime.js';
import { ReportRunner } from './runner.js';
import { ReportScheduler } from './scheduler.js';

const runners = new WeakMap<Runtime, ReportRunner>();

/** The report runner of a runtime (shared by the scheduler, the HTTP API and the CLI). */
export function reportRunner(runtime: Runtime): ReportRunner {
  let r = runners.get(runtime);
  if (!r) {
    r = new ReportRunner(runtime);
    runners.set(runtime, r);
  }
  return r;
}

/** Runs scheduled reports: a tick a second, each report at its cron times, end = the scheduled time. */
export async function reportService(runtime: Runtime): Promise<void> {
  const runner = reportRunner(runtime);
  await runner.migrate();
  const scheduler = new ReportScheduler(
    runtime.config.reports,
    runtime.store,
    (name, t) => runner.run(name, { scheduledFor: t, end: t }),
    runtime.logger.child({ component: 'reports' }),
  );
  await scheduler.init(new Date());
  schedulers.set(runtime, scheduler);
  let ticking: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    ticking = scheduler.tick(new Date());
  }, 1000);
  timer.unref();
  runtime.health.add('reports', () => ({ status: 'up', detail: { scheduled: scheduler.upcoming() } }));
  runtime.onClose(async () => {
    clearInterval(timer);
    await ticking;
  });
}

const schedulers = new WeakMap<Runtime, ReportScheduler>();

/** The running scheduler, if the service started (for GET /v1/reports). */
export function reportScheduler(runtime: Runtime): ReportScheduler | undefined {
  return schedulers.get(runtime);
}
