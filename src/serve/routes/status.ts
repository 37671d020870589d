import { ingestionLag } from '../../collect/ingestion-lag.js';
import type { Runtime } from '../../runtime.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { METRICS_DOC, QUEUE_STATS_DOC, STATUS_DOC } from './status.doc.js';

/** GET /status (health), GET /api/q/stats (the queue, as Mars had it), GET /metrics (Prometheus). */
export const statusRoutes: RoutePlugin = (app, runtime) => {
  app.get('/status', scoped('metrics', STATUS_DOC), async (_req, reply) => {
    const { status, ok, checks } = await runtime.health.report();
    return reply.code(ok ? 200 : 503).send({
      status,
      uptimeSeconds: Math.round((Date.now() - runtime.startedAt) / 1000),
      checks,
    });
  });

  // The recent rate is measured from this app's previous sample: one per runtime, never shared.
  const sample: RateSample = { at: runtime.startedAt, committed: 0 };
  app.get('/api/q/stats', scoped('metrics', QUEUE_STATS_DOC), async () => ({
    ...queueStats(runtime, sample),
    lag: ingestionLag(runtime.committer, runtime.telemetry),
    quarantine: {
      held: await runtime.quarantine.heldByReason(),
      quarantinedSinceStart: Object.fromEntries(runtime.quarantine.counts),
    },
    store: {
      engine: runtime.store.dialect.name,
      lastSeq: await runtime.store.lastSeq(),
      sizeBytes: await runtime.store.sizeBytes().catch(() => null),
    },
  }));

  app.get('/metrics', scoped('metrics', METRICS_DOC), async (_req, reply) => {
    const t = runtime.telemetry;
    t.queueDepth.set(runtime.committer.depth);
    t.oldestPendingSeconds.set(runtime.committer.oldestPendingAgeMs() / 1000);
    for (const feature of runtime.features) await feature.metrics?.();
    reply.header('content-type', t.registry.contentType);
    return t.metrics();
  });
};

/** The committed count at a moment, from which the recent commit rate is measured. */
interface RateSample {
  at: number;
  committed: number;
}

/** The collector's queue statistics: depth, counts, rates, batch sizes, commit latency, oldest pending. */
function queueStats(runtime: Runtime, sample: RateSample) {
  const s = runtime.committer.stats;
  const now = Date.now();
  const seconds = Math.max(0.001, (now - sample.at) / 1000);
  const rate = (s.committed - sample.committed) / seconds;
  if (now - sample.at > 1000) Object.assign(sample, { at: now, committed: s.committed });
  const uptime = Math.max(0.001, (now - runtime.startedAt) / 1000);
  return {
    queue: {
      depth: runtime.committer.depth,
      limit: runtime.config.server.queueLimit,
      oldestPendingMs: runtime.committer.oldestPendingAgeMs(now),
    },
    events: {
      submitted: s.submitted,
      committed: s.committed,
      duplicates: s.duplicates,
      refusedQueueFull: s.refused,
      accepted: Object.fromEntries(runtime.telemetry.acceptedBySource),
      rejected: Object.fromEntries(runtime.telemetry.rejectedByReason),
    },
    rates: { committedPerSecondRecent: round(rate), committedPerSecondAverage: round(s.committed / uptime) },
    commits: {
      count: s.commits,
      failed: s.failedCommits,
      lastError: s.lastError,
      batchSize: s.batchSize.summary(),
      latencyMs: mapRound(s.commitLatencyMs.summary()),
    },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function mapRound<T extends Record<string, number | null>>(o: T): T {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(o)) out[k] = v === null ? null : round(v);
  return out as T;
}
