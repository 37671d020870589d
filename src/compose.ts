import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { Feature } from './core/feature.js';
import { DestinationsFeature } from './destinations/service.js';
import { Forget } from './forget/service.js';
import { Lake } from './lake/service.js';
import { Lifecycles } from './lifecycle/service.js';
import { BatchLeader } from './log/batch-leader.js';
import { LogWorker } from './log/feature.js';
import { registerTransactionContracts } from './match/contracts.js';
import { MatchingFeature } from './match/service.js';
import { Projections } from './project/service.js';
import { QuarantineFeature } from './quarantine/feature.js';
import { Reports } from './report/service.js';
import { Retention } from './retention/service.js';
import { createCoreRuntime, type Role, type Runtime } from './runtime.js';
import type { RoutePlugin } from './serve/route-plugin.js';
import { deletionRoutes } from './serve/routes/deletions.js';
import { destinationRoutes } from './serve/routes/destinations.js';
import { lakeRoutes } from './serve/routes/lake.js';
import { lifecycleRoutes } from './serve/routes/lifecycles.js';
import { matchingRoutes } from './serve/routes/matching.js';
import { projectionRoutes } from './serve/routes/projections.js';
import { quarantineRoutes } from './serve/routes/quarantine.js';
import { reportRoutes } from './serve/routes/reports.js';
import { BrokerSources } from './sources/service.js';

/**
 * The runtime of a process: its core (store, committer, ingest, health) with every feature wired in. The
 * composition root: the one module that knows the runtime, the features and their HTTP routes, so that the
 * runtime imports no feature and features import neither each other's services nor the HTTP app.
 */
export async function createRuntime(
  config: Config,
  baseDir: string,
  logger: Logger,
  role: Role = 'all',
): Promise<Runtime> {
  const runtime = await createCoreRuntime(config, baseDir, logger, role);
  // In every role: a collector refuses a bad transaction event as the importer would.
  if (config.matching) registerTransactionContracts(runtime.ingest, config.matching);
  const projections = new Projections(runtime);
  runtime.projections = projections;
  const routed = <T extends Feature>(feature: T, plugin: RoutePlugin): T =>
    Object.assign(feature, { routes: (app: FastifyInstance) => plugin(app, runtime) });
  // In start order, which is also the order of their routes and of their checks in /status.
  runtime.features.push(
    // First: suppressed subjects are refused from the first request on, in every role.
    routed(await Forget.open(runtime), deletionRoutes),
    new LogWorker(runtime),
    routed(projections, projectionRoutes),
    routed(new Reports(runtime), reportRoutes),
    routed(new QuarantineFeature(runtime), quarantineRoutes),
    routed(new Lifecycles(runtime), lifecycleRoutes),
    new BrokerSources(runtime),
    routed(new Lake(runtime), lakeRoutes),
    new Retention(runtime),
    routed(new MatchingFeature(runtime), matchingRoutes),
    routed(new DestinationsFeature(runtime), destinationRoutes),
    new BatchLeader(runtime),
  );
  return runtime;
}
