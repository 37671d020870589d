import { startFeatures } from './core/start-features.js';
import { BatchLeader } from './log/batch-leader.js';
import type { Runtime } from './runtime.js';

/**
 * Starts the background work of the features that run in this process's role, in the runtime's order (store
 * writers fold the speed layer; schedules run where everything runs). In the `batch` role only the batch
 * leader starts: it runs the other batch features while it holds the lock. Each started feature reports its
 * health in /status and is stopped, newest first, when the runtime closes.
 */
export async function startServices(runtime: Runtime): Promise<void> {
  const features =
    runtime.role === 'batch'
      ? [runtime.feature(BatchLeader)]
      : runtime.features.filter((f) => f.roles.includes(runtime.role));
  runtime.onClose(await startFeatures(features, runtime.health));
}
