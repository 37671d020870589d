import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { LifecycleTracker } from './tracker.js';

const FOLD_DELAY_MS = 100;
const DAY_MS = 86_400_000;
const trackers = new WeakMap<Runtime, Map<string, LifecycleTracker>>();

/** The lifecycle trackers of a runtime, initialized once (service, HTTP and CLI share them). */
export async function lifecycleTrackers(runtime: Runtime): Promise<Map<string, LifecycleTracker>> {
  let map = trackers.get(runtime);
  if (!map) {
    map = new Map();
    for (const [name, def] of Object.entries(runtime.config.lifecycles)) {
      const t = new LifecycleTracker(name, def, runtime.store);
      await t.init();
      map.set(name, t);
    }
    trackers.set(runtime, map);
  }
  return map;
}

/** Keeps lifecycle records current after every commit (batched), and removes expired records daily. */
export async function lifecycleService(runtime: Runtime): Promise<void> {
  const map = await lifecycleTrackers(runtime);
  if (map.size === 0) return;
  const log = runtime.logger.child({ component: 'lifecycles' });
  // Per tracker: one tracker's successful fold says nothing about another's failure.
  const failing = new Map<string, string>();
  let folding: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const fold = () => {
    timer = undefined;
    folding = folding.then(async () => {
      for (const t of map.values()) {
        try {
          await t.fold();
          failing.delete(t.name);
        } catch (err) {
          failing.set(t.name, (err as Error).message);
          log.error({ err, lifecycle: t.name }, 'lifecycle fold failed; the next commit retries');
        }
      }
    });
  };
  runtime.committer.onCommit(() => {
    if (!timer) timer = setTimeout(fold, FOLD_DELAY_MS);
  });
  fold(); // catch up with what was stored while the process was down
  const expire = setInterval(() => {
    for (const t of map.values()) {
      t.expire()
        .then((n) => n && log.info({ lifecycle: t.name, removed: n }, 'expired lifecycle records'))
        .catch((err: Error) => log.error({ err }, 'lifecycle retention failed'));
    }
  }, DAY_MS);
  expire.unref();
  runtime.health.add('lifecycles', async () => {
    const lag: Record<string, number> = {};
    const last = await runtime.store.lastSeq();
    for (const t of map.values()) lag[t.name] = last - (await t.foldedSeq());
    const [first] = failing;
    const lastError = first ? `${first[0]}: ${first[1]}` : null;
    return {
      status: upIf(failing.size === 0),
      detail: { behindBy: lag, lastError, failing: Object.fromEntries(failing) },
      lastError,
    };
  });
  runtime.onClose(async () => {
    clearInterval(expire);
    if (timer) clearTimeout(timer);
    await folding;
  });
}
