import type { Runtime } from './runtime.js';

/**
 * Starts the background work of the features that run in this process's role, in the runtime's order (store
 * writers fold the speed layer; schedules run where everything runs, or in the one `batch` leader). Each
 * started feature reports its health in /status and is stopped, newest first, when the runtime closes.
 */
export async function startServices(runtime: Runtime): Promise<void> {
  for (const feature of runtime.features) {
    if (!feature.roles.includes(runtime.role)) continue;
    await feature.start();
    if (feature.health) runtime.health.add(feature.name, feature.health.bind(feature));
    runtime.onClose(() => feature.stop());
  }
}
