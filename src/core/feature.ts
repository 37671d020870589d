import type { FastifyInstance } from 'fastify';
import type { PartHealth } from './health.js';

/** What a process does: everything (`start`), collect and serve (`serve`), write the log to the store (`work`), or run schedules as the one leader (`batch`). */
export type Role = 'all' | 'serve' | 'work' | 'batch';

/**
 * One long-running part of Panoramix (projections, reports, lifecycles, matching, the lake, quarantine,
 * broker sources, the log worker, the batch leader). The runtime holds the list; the services start-up,
 * `/status`, `/metrics` and the HTTP app iterate over it, so a feature is added in one place.
 */
export interface Feature {
  readonly name: string;
  /** The process roles that run its background work (`all` is `panoramix start`); none: it only serves. */
  readonly roles: readonly Role[];
  /** Starts its background work (consumers, schedules, folds), in a process of one of its roles. */
  start(): Promise<void>;
  /** Stops what start began, after finishing work in flight. */
  stop(): Promise<void>;
  /** Its health once started, for /status; undefined while it has nothing to report (nothing configured). */
  health?(): PartHealth | undefined | Promise<PartHealth | undefined>;
  /** Brings its gauges up to date before /metrics is read (counters count as they go). */
  metrics?(): void | Promise<void>;
  /** Registers its HTTP routes (set by the composition, which knows the HTTP app). */
  routes?(app: FastifyInstance): void | Promise<void>;
}
