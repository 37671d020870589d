import { Cron } from 'croner';
import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { ProjectionEngine } from './engine.js';
import { planProjection } from './plan.js';
import { ProjectionReaderImpl } from './reader.js';

// How long the speed layer waits after a commit before folding, so bursts fold together.
const FOLD_DELAY_MS = 100;

const engines = new WeakMap<Runtime, ProjectionEngine>();

/** The projection engine of a runtime (created on first use; the service and the CLI share it). */
export async function projectionEngine(runtime: Runtime): Promise<ProjectionEngine> {
  let engine = engines.get(runtime);
  if (!engine) {
    const plans = new Map(
      Object.entries(runtime.config.projections).map(([name, def]) => [
        name,
        planProjection(name, def, runtime.store.dialect),
      ]),
    );
    engine = new ProjectionEngine(runtime.store, plans, runtime.logger.child({ component: 'projections' }));
    await engine.init();
    engines.set(runtime, engine);
    runtime.projections = new ProjectionReaderImpl(engine, runtime.config.queries);
  }
  return engine;
}

/** The projections service: builds what is stale, folds every commit, recomputes on each schedule. */
export async function projectionService(runtime: Runtime): Promise<void> {
  const engine = await projectionEngine(runtime);
  const log = runtime.logger.child({ component: 'projections' });
  let timer: NodeJS.Timeout | undefined;
  let folding: Promise<void> = Promise.resolve();
  let lastError: string | null = null;
  const fold = () => {
    timer = undefined;
    folding = folding
      .then(() => engine.fold())
      .then(() => {
        lastError = null;
      })
      .catch((err: Error) => {
        lastError = err.message;
        log.error({ err }, 'speed layer fold failed; the next commit retries');
      });
  };
  runtime.committer.onCommit(() => {
    if (!timer) timer = setTimeout(fold, FOLD_DELAY_MS);
  });
  const schedules: Cron[] = [];
  for (const [name, def] of Object.entries(runtime.config.projections)) {
    if (!def.schedule) continue;
    schedules.push(
      new Cron(def.schedule, { protect: true, timezone: 'UTC' }, async () => {
        await engine
          .rebuild(name)
          .catch((err: Error) => log.error({ err, projection: name }, 'scheduled rebuild failed'));
      }),
    );
  }
  // Build what has no version for its current definition; until then the old version (if any) serves.
  const building = engine.stale().then(async (names) => {
    for (const name of names) {
      await engine
        .rebuild(name)
        .catch((err: Error) => log.error({ err, projection: name }, 'initial build failed'));
    }
  });
  runtime.health.add('projections', () => ({
    status: upIf(lastError === null),
    detail: { projections: engine.plans.size, lastError },
    lastError,
  }));
  runtime.onClose(async () => {
    for (const s of schedules) s.stop();
    if (timer) clearTimeout(timer);
    await building;
    await folding;
    await engine.close();
  });
}
