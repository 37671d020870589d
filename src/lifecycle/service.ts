import { AfterCommit } from '../core/after-commit.js';
import type { Feature, Role } from '../core/feature.js';
import { type PartHealth, upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { LifecycleTracker } from './tracker.js';

const FOLD_DELAY_MS = 100;
const DAY_MS = 86_400_000;

/**
 * The lifecycles feature: the trackers (initialized once; the service, the HTTP API and the CLI share them),
 * kept current after every commit (batched), with expired records removed daily.
 */
export class Lifecycles implements Feature {
  readonly name = 'lifecycles';
  readonly roles: readonly Role[] = ['all', 'work'];
  private opened: Promise<Map<string, LifecycleTracker>> | undefined;
  // Per tracker: one tracker's successful fold says nothing about another's failure.
  private readonly failing = new Map<string, string>();
  private started = false;
  private folds: AfterCommit | undefined;
  private expiry: NodeJS.Timeout | undefined;

  constructor(private readonly runtime: Runtime) {}

  /** The trackers by lifecycle name. */
  trackers(): Promise<Map<string, LifecycleTracker>> {
    this.opened ??= (async () => {
      const map = new Map<string, LifecycleTracker>();
      for (const [name, def] of Object.entries(this.runtime.config.lifecycles)) {
        const t = new LifecycleTracker(name, def, this.runtime.store);
        await t.init();
        map.set(name, t);
      }
      return map;
    })();
    return this.opened;
  }

  async start(): Promise<void> {
    const { runtime, failing } = this;
    const map = await this.trackers();
    if (map.size === 0) return;
    this.started = true;
    const log = runtime.logger.child({ component: 'lifecycles' });
    this.folds = new AfterCommit(
      runtime.committer,
      async () => {
        for (const t of map.values()) {
          try {
            await t.fold();
            failing.delete(t.name);
          } catch (err) {
            failing.set(t.name, (err as Error).message);
          }
        }
        // Every tracker had its turn; a failed one makes the run a failure, so it is tried again.
        if (failing.size > 0)
          throw new Error(`${[...failing].map(([name, message]) => `${name}: ${message}`).join('; ')}`);
      },
      (err) => log.error({ err }, 'lifecycle fold failed; retried after a backoff, or at the next commit'),
      FOLD_DELAY_MS,
      runtime.config.reconnect,
    );
    this.folds.now(); // catch up with what was stored while the process was down
    this.expiry = setInterval(() => {
      for (const t of map.values()) {
        t.expire()
          .then((n) => n && log.info({ lifecycle: t.name, removed: n }, 'expired lifecycle records'))
          .catch((err: Error) => log.error({ err }, 'lifecycle retention failed'));
      }
    }, DAY_MS);
    this.expiry.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.expiry);
    await this.folds?.stop();
  }

  async health(): Promise<PartHealth | undefined> {
    if (!this.started) return undefined;
    const lag: Record<string, number> = {};
    const last = await this.runtime.store.lastSeq();
    for (const t of (await this.trackers()).values()) lag[t.name] = last - (await t.foldedSeq());
    const [first] = this.failing;
    const lastError = first ? `${first[0]}: ${first[1]}` : null;
    return {
      status: upIf(this.failing.size === 0),
      detail: { behindBy: lag, lastError, failing: Object.fromEntries(this.failing) },
      lastError,
    };
  }
}

/** The lifecycle trackers of a runtime, initialized once (service, HTTP and CLI share them). */
export function lifecycleTrackers(runtime: Runtime): Promise<Map<string, LifecycleTracker>> {
  return runtime.feature(Lifecycles).trackers();
}
