import type { Logger } from 'pino';
import { GroupCommitter } from './collect/group-commit.js';
import { Ingest } from './collect/ingest.js';
import { ingestionLag } from './collect/ingestion-lag.js';
import { WriteKeys } from './collect/write-keys.js';
import type { Config } from './config/schema.js';
import type { Feature, Role } from './core/feature.js';
import { Health, upIf } from './core/health.js';
import { Telemetry } from './core/telemetry.js';
import type { NatsLog } from './log/nats-log.js';
import type { ProjectionReader } from './project/projection-reader.js';
import { AnonymousBound } from './quarantine/anonymous-bound.js';
import { Quarantine } from './quarantine/quarantine.js';
import { FLAG_MIGRATIONS } from './schemas/flags.js';
import { TrackingPlan } from './schemas/tracking-plan.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export type { Role } from './core/feature.js';

/** A feature's class (its constructor may be private: the lookup needs only its prototype and name). */
export interface FeatureKind<T extends Feature> {
  readonly prototype: T;
  readonly name: string;
}

/** Everything one Panoramix process holds: the services that the HTTP app, the CLI and workers share. */
export interface Runtime {
  readonly config: Config;
  /** Directory that relative paths in the configuration resolve against. */
  readonly baseDir: string;
  readonly store: Store;
  /** The group commit whose commits are this process's store writes (what the speed layer listens to). */
  readonly committer: GroupCommitter;
  readonly role: Role;
  /** The NATS JetStream log, in server mode. */
  readonly log?: NatsLog;
  readonly ingest: Ingest;
  readonly keys: WriteKeys;
  readonly telemetry: Telemetry;
  /** The health of every part of the process (what /status reports); features add their checks. */
  readonly health: Health;
  /** Inputs that could not be accepted, kept for inspection and replay. */
  readonly quarantine: Quarantine;
  readonly logger: Logger;
  readonly startedAt: number;
  /** The projections as other features read them (reports, the lake); set by the composition. */
  projections?: ProjectionReader;
  /** The features of this process, in start order (the composition fills the list). */
  readonly features: Feature[];
  /** The feature of a kind; throws when the composition did not add one (a bug, not a configuration). */
  feature<T extends Feature>(kind: FeatureKind<T>): T;
  /** Stops background work registered by features (schedulers, consumers), newest first. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

/**
 * Builds the core of a runtime from a configuration: opens the store, wires the committer and ingest path,
 * and checks the store and the queue. Features are added by the composition (src/compose.ts `createRuntime`),
 * so that this module imports none of them.
 */
export async function createCoreRuntime(
  config: Config,
  baseDir: string,
  logger: Logger,
  role: Role = 'all',
): Promise<Runtime> {
  const store = await openStore(config.store, baseDir, logger, config.reconnect);
  const health = new Health();
  const telemetry = new Telemetry(health);
  const options = {
    queueLimit: config.server.queueLimit,
    maxBatch: config.server.maxCommitBatch,
    observe: (events: number, ms: number) => telemetry.committed(events, ms),
  };
  const storeCommitter = new GroupCommitter(store, options);
  // With a log, what collectors accept is durable once JetStream has it; workers move it to the store.
  // The NATS client loads only in server mode.
  const log = config.log
    ? (await import('./log/nats-log.js')).NatsLog.open(config.log, logger, config.reconnect)
    : undefined;
  const ingestCommitter = log ? new GroupCommitter(log, options) : storeCommitter;
  const committer = role === 'serve' ? ingestCommitter : storeCommitter;
  const keys = new WriteKeys(config.sources);
  const quarantine = new Quarantine(
    store,
    undefined,
    new AnonymousBound(
      config.server.quarantineAnonymousPerMinute,
      new Set(Object.keys(config.sources)),
      (source) => telemetry.quarantineDropped.inc({ source }),
    ),
  );
  await quarantine.migrate();
  const plan = new TrackingPlan(config.schemas, baseDir);
  if (!plan.empty) await store.migrate(FLAG_MIGRATIONS);
  const ingest = new Ingest(config, keys, ingestCommitter, telemetry, quarantine, plan, store);
  addCoreChecks(health, store, log, committer, config, telemetry);
  const closers: (() => Promise<void> | void)[] = [];
  const features: Feature[] = [];
  for (const [name, s] of Object.entries(config.sources)) {
    if (s.writeKeys.length === 0)
      logger.warn({ source: name }, 'source has no write keys: anyone can write its events');
  }
  return {
    config,
    baseDir,
    store,
    committer,
    role,
    ...(log ? { log } : {}),
    ingest,
    keys,
    telemetry,
    health,
    quarantine,
    logger,
    startedAt: Date.now(),
    features,
    feature<T extends Feature>(kind: FeatureKind<T>): T {
      const found = features.find((f): f is T => Object.prototype.isPrototypeOf.call(kind.prototype, f));
      if (!found) throw new Error(`this runtime has no ${kind.name} feature`);
      return found;
    },
    onClose: (fn) => closers.push(fn),
    async close() {
      for (const fn of closers.reverse()) await fn();
      await ingestCommitter.drain();
      await storeCommitter.drain();
      await log?.close();
      await store.close();
    },
  };
}

/** The store (a ping), the queue (depth and last commit error) and the ingestion lag per source. */
function addCoreChecks(
  health: Health,
  store: Store,
  log: NatsLog | undefined,
  committer: GroupCommitter,
  config: Config,
  telemetry: Telemetry,
): void {
  // A server store's pool and the log are supervised connections: /status shows their state and when they
  // are tried next, /metrics their up gauge and reconnects.
  const pool = store.connection;
  if (pool) health.addConnection(pool.name, () => pool.state);
  if (log) health.addConnection(log.watch.name, () => log.watch.state);
  health.add('store', async () => {
    // Not pinged while its pool is known to be down: the ping would only wait for a connect to fail.
    if (pool && !pool.isUp) return { status: 'down', lastError: pool.state.lastError };
    const t0 = performance.now();
    await store.query('SELECT 1 AS ok');
    return {
      status: 'up',
      detail: { engine: store.dialect.name, pingMs: Math.round((performance.now() - t0) * 100) / 100 },
    };
  });
  health.add('queue', () => {
    const lastError = committer.stats.lastError;
    return {
      status: upIf(committer.depth < config.server.queueLimit && lastError === null),
      detail: {
        depth: committer.depth,
        limit: config.server.queueLimit,
        lastError,
        oldestPendingMs: committer.oldestPendingAgeMs(),
      },
    };
  });
  health.add('ingestion lag', () => ({ status: 'up', detail: ingestionLag(committer, telemetry) }));
}
