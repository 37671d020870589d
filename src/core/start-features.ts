import type { Feature } from './feature.js';
import type { Health } from './health.js';

/**
 * Starts features in order; each started one reports its health. The returned function stops them, newest
 * first, and withdraws their health checks (a batch leader that loses its lock starts them again later).
 */
export async function startFeatures(
  features: readonly Feature[],
  health: Health,
): Promise<() => Promise<void>> {
  const started: { feature: Feature; unregister: () => void }[] = [];
  const stop = async () => {
    for (const { feature, unregister } of started.reverse()) {
      unregister();
      await feature.stop();
    }
  };
  for (const feature of features) {
    // A feature that cannot start stops those started before it, so nothing runs half set up.
    await feature.start().catch(async (err: unknown) => {
      await stop().catch(() => undefined);
      throw err;
    });
    const unregister = feature.health ? health.add(feature.name, feature.health.bind(feature)) : () => {};
    started.push({ feature, unregister });
  }
  return stop;
}
