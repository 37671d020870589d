import { lifecycleService } from './lifecycle/service.js';
import { projectionService } from './project/service.js';
import { reportService } from './report/service.js';
import type { Runtime } from './runtime.js';
import { sourcesService } from './sources/service.js';

/** A feature's background work (speed layer, schedulers, consumers): started once per process. */
export type Service = (runtime: Runtime) => Promise<void> | void;

/** Services of every feature, in start order. Features add one line here. */
const SERVICES: readonly Service[] = [projectionService, reportService, lifecycleService, sourcesService];

/** Starts every feature's background work; each registers its own stop with runtime.onClose. */
export async function startServices(runtime: Runtime): Promise<void> {
  for (const s of SERVICES) await s(runtime);
}
