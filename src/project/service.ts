import { Cron } from 'croner';
import { AfterCommit } from '../core/after-commit.js';
import type { Feature, Role } from '../core/feature.js';
import { type PartHealth, upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { ProjectionEngine } from './engine.js';
import { buildUntilCurrent } from './initial-build.js';
import { ProjectionLagMetrics, ReplicaMetrics } from './metrics.js';
import { planProjection } from './plan.js';
import type {
  ChangedKeys,
  ProjectionAnswer,
  ProjectionQuery,
  ProjectionReader,
} from './projection-reader.js';
import { ProjectionReaderImpl } from './reader.js';

// How long the speed layer waits after a commit before folding, so bursts fold together.
const FOLD_DELAY_MS = 100;

/**
 * The projections feature: the engine (opened on first use, shared by the service, the HTTP API and the
 * CLI), and the service that builds what is stale, folds every commit, and recomputes on each schedule. It is
 * also the runtime's ProjectionReader, so reports and the lake read projections without the engine.
 */
export class Projections implements Feature, ProjectionReader {
  readonly name = 'projections';
  readonly roles: readonly Role[] = ['all', 'work'];
  private opened: Promise<{ engine: ProjectionEngine; reader: ProjectionReaderImpl }> | undefined;
  private stopService: (() => Promise<void>) | undefined;
  private lastError: string | null = null;
  private readonly lag: ProjectionLagMetrics;
  private readonly replicas: ReplicaMetrics;

  constructor(private readonly runtime: Runtime) {
    this.lag = new ProjectionLagMetrics(runtime.telemetry.registry);
    this.replicas = new ReplicaMetrics(runtime.telemetry.registry);
  }

  /** The engine, initialized once. */
  async engine(): Promise<ProjectionEngine> {
    return (await this.open()).engine;
  }

  /** The reader with what the HTTP API needs beyond ProjectionReader (versions, SQL for exports). */
  async reader(): Promise<ProjectionReaderImpl> {
    return (await this.open()).reader;
  }

  names(): string[] {
    return Object.keys(this.runtime.config.projections);
  }

  queryNames(): string[] {
    return Object.keys(this.runtime.config.queries);
  }

  async read(name: string, query?: ProjectionQuery): Promise<ProjectionAnswer> {
    return (await this.reader()).read(name, query);
  }

  async runQuery(name: string, params: Readonly<Record<string, unknown>>): Promise<ProjectionAnswer> {
    return (await this.reader()).runQuery(name, params);
  }

  async changedKeys(name: string, after: number, limit: number): Promise<ChangedKeys> {
    return (await this.reader()).changedKeys(name, after, limit);
  }

  async start(): Promise<void> {
    this.stopService = await this.service(await this.engine());
  }

  async stop(): Promise<void> {
    await this.stopService?.();
  }

  /** Each projection's lag, from the registry and the store (before a scrape of /metrics). */
  async metrics(): Promise<void> {
    if (this.names().length === 0) return;
    await this.lag.update(this.runtime.store, await this.engine());
    this.replicas.update((await this.reader()).replicaKeys());
  }

  health(): PartHealth {
    const { lastError } = this;
    return {
      status: upIf(lastError === null),
      detail: { projections: Object.keys(this.runtime.config.projections).length, lastError },
      lastError,
    };
  }

  private open() {
    this.opened ??= (async () => {
      const { runtime } = this;
      const plans = new Map(
        Object.entries(runtime.config.projections).map(([name, def]) => [
          name,
          planProjection(name, def, runtime.store.dialect),
        ]),
      );
      const engine = new ProjectionEngine(
        runtime.store,
        plans,
        runtime.logger.child({ component: 'projections' }),
      );
      await engine.init();
      return { engine, reader: new ProjectionReaderImpl(engine, runtime.config.queries) };
    })();
    return this.opened;
  }

  private async service(engine: ProjectionEngine): Promise<() => Promise<void>> {
    const { runtime } = this;
    const log = runtime.logger.child({ component: 'projections' });
    const folds = new AfterCommit(
      runtime.committer,
      async () => {
        await engine.fold();
        this.lastError = null;
      },
      (err) => {
        this.lastError = err.message;
        log.error({ err }, 'speed layer fold failed; retried after a backoff, or at the next commit');
      },
      FOLD_DELAY_MS,
      runtime.config.reconnect,
    );
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
    const stopping = new AbortController();
    const building = buildUntilCurrent(engine, runtime.config.reconnect, log, stopping.signal, (err) => {
      this.lastError = err ? `initial build: ${err.message}` : null;
    });
    return async () => {
      for (const s of schedules) s.stop();
      stopping.abort();
      await building;
      await folds.stop();
      await engine.close();
    };
  }
}

/** The projection engine of a runtime (the service, the HTTP API and the CLI share it). */
export function projectionEngine(runtime: Runtime): Promise<ProjectionEngine> {
  return runtime.feature(Projections).engine();
}
