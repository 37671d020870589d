import { destinationsService } from './destinations/service.js';
import { lakeService } from './lake/service.js';
import { lifecycleService } from './lifecycle/service.js';
import { runLogWorker } from './log/worker.js';
import { matchingService } from './match/service.js';
import { projectionService } from './project/service.js';
import { reportService } from './report/service.js';
import { retentionService } from './retention/service.js';
import type { Role, Runtime } from './runtime.js';
import { sourcesService } from './sources/service.js';

/** A feature's background work (speed layer, schedulers, consumers): started once per process. */
export type Service = (runtime: Runtime) => Promise<void> | void;

/**
 * Services of every feature, in start order, with the process roles that run them: store writers fold the
 * speed layer; schedules (reports, lake runs) run where everything runs, or in the one `batch` leader.
 */
const SERVICES: readonly { run: Service; roles: readonly Role[] }[] = [
  { run: logWorkerService, roles: ['all', 'work'] },
  { run: projectionService, roles: ['all', 'work'] },
  { run: reportService, roles: ['all', 'batch'] },
  { run: lifecycleService, roles: ['all', 'work'] },
  { run: sourcesService, roles: ['all', 'serve'] },
  { run: lakeService, roles: ['all', 'batch'] },
  { run: retentionService, roles: ['all', 'batch'] },
  { run: matchingService, roles: ['all', 'work', 'batch'] },
  { run: destinationsService, roles: ['all', 'batch'] },
];

/** Starts the background work of this process's role; each service registers its stop with runtime.onClose. */
export async function startServices(runtime: Runtime): Promise<void> {
  for (const s of SERVICES) if (s.roles.includes(runtime.role)) await s.run(runtime);
}

// Moves the log to the store, when there is a log.
async function logWorkerService(runtime: Runtime): Promise<void> {
  if (!runtime.log) return;
  const stop = await runLogWorker(runtime, runtime.log, runtime.committer);
  runtime.onClose(stop);
}
