import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import { DestinationAdmin } from './admin.js';
import { ChangeFeed } from './change-feed.js';
import { EventFeed } from './feed.js';
import { DestinationLoop } from './loop.js';
import { DestinationMetrics } from './metrics.js';
import { openSender } from './open-sender.js';
import { ShapedEventFeed } from './shaped-feed.js';

/** Destinations of one runtime: the admin operations, and the delivery loops when this process runs them. */
export interface Destinations {
  readonly admin: DestinationAdmin;
  readonly loops: ReadonlyMap<string, DestinationLoop>;
  /** Tells this process's loop of a change made by hand, so it acts now. */
  wake(name: string): void;
}

/** The destinations feature: the admin operations, and the delivery loops in the roles that deliver. */
export class DestinationsFeature implements Feature {
  readonly name = 'destinations';
  readonly roles: readonly Role[] = ['all', 'batch'];
  private opened: Promise<Destinations | undefined> | undefined;
  private stopService: (() => Promise<void>) | undefined;
  // Registered once per process: a batch leader starts the loops again each time it regains the lock.
  private destinationMetrics: DestinationMetrics | undefined;

  constructor(private readonly runtime: Runtime) {}

  /** The destinations (undefined when none are configured); the tables are migrated once. */
  destinations(): Promise<Destinations | undefined> {
    this.opened ??= setUp(this.runtime);
    return this.opened;
  }

  async start(): Promise<void> {
    const d = await this.destinations();
    if (!d) return;
    this.destinationMetrics ??= new DestinationMetrics(this.runtime.telemetry.registry, () => d.admin.lag());
    this.stopService = await destinationsService(this.runtime, this.destinationMetrics);
  }

  async stop(): Promise<void> {
    await this.stopService?.();
  }
}

/** The runtime's destinations (undefined when none are configured); the tables are migrated once. */
export function destinationsOf(runtime: Runtime): Promise<Destinations | undefined> {
  return runtime.feature(DestinationsFeature).destinations();
}

async function setUp(runtime: Runtime): Promise<Destinations | undefined> {
  const configs = runtime.config.destinations;
  if (Object.keys(configs).length === 0) return undefined;
  const admin = await DestinationAdmin.open(runtime.store, configs);
  const loops = new Map<string, DestinationLoop>();
  return { admin, loops, wake: (name) => loops.get(name)?.wake(true) };
}

/**
 * Starts one delivery loop per destination (roles start and batch: one process delivers each destination).
 * Commits in this process wake the loops; otherwise they poll.
 */
export async function destinationsService(
  runtime: Runtime,
  metrics: DestinationMetrics,
): Promise<(() => Promise<void>) | undefined> {
  const d = await destinationsOf(runtime);
  if (!d) return undefined;
  const log = runtime.logger.child({ component: 'destinations' });
  const loops = d.loops as Map<string, DestinationLoop>;
  for (const [name, config] of Object.entries(d.admin.configs)) {
    const feed = config.projection
      ? new ChangeFeed(runtime.projections!, config.projection)
      : config.shape
        ? new ShapedEventFeed(runtime.store, config.filter, config.shape)
        : new EventFeed(runtime.store, config.filter);
    const loop = new DestinationLoop(
      name,
      config,
      feed,
      d.admin.states,
      await openSender(config),
      metrics,
      log,
    );
    loops.set(name, loop);
    loop.start();
  }
  const unsubscribe = runtime.committer.onCommit(() => {
    for (const loop of loops.values()) loop.wake();
  });
  // A receiver that is down makes the part degraded, never down: /status answers 503 only when a part is
  // down, which takes the collector out of a load balancer, and a destination must never stop ingest. Down
  // is for a loop that cannot reach the store.
  const withdraw = runtime.health.add('destinations', () => {
    const all = [...loops.values()];
    const broken = all.filter((l) => l.error !== null);
    const struggling = all.filter((l) => l.state?.paused || l.state?.failingSince);
    return {
      status: broken.length > 0 ? 'down' : struggling.length > 0 ? 'degraded' : 'up',
      lastError: broken[0]?.error ?? struggling[0]?.state?.lastError ?? null,
      detail: Object.fromEntries(
        [...loops.values()].map((l) => [
          l.name,
          {
            activity: l.activity,
            cursor: l.state?.cursor ?? null,
            failingSince: l.state?.failingSince?.toISOString() ?? null,
            lastError: l.error ?? l.state?.lastError ?? null,
          },
        ]),
      ),
    };
  });
  return async () => {
    withdraw();
    unsubscribe();
    await Promise.all([...loops.values()].map((l) => l.stop()));
    loops.clear();
  };
}
