import type { Percentiles } from '../../collect/percentiles.js';
import type { Runtime } from '../../runtime.js';
import type { RoutePlugin } from '../app.js';

/** Extra health reports that features add to /status (sources, workers, schedulers). */
export type HealthCheck = () => Promise<{ name: string; ok: boolean; detail?: unknown }>;
const healthChecks = new WeakMap<Runtime, HealthCheck[]>();

/** Registers a feature's health check for /status. */
export function addHealthCheck(runtime: Runtime, check: HealthCheck): void {
  const list = healthChecks.get(runtime) ?? [];
  list.push(check);
  healthChecks.set(runtime, list);
}

/** GET /status (health), GET /api/q/stats (the queue, as Mars had it), GET /metrics (Prometheus). */
export const statusRoutes: RoutePlugin = (app, runtime) => {
  app.get('/status', async (_req, reply) => {
    const checks: { name: string; ok: boolean; detail?: unknown }[] = [];
    try {
      const t0 = performance.now();
      await runtime.store.query('SELECT 1 AS ok');
      checks.push({
        name: 'store',
        ok: true,
        detail: { engine: runtime.store.dialect.name, pingMs: round(performance.now() - t0) },
      });
    } catch (err) {
      checks.push({ name: 'store', ok: false, detail: { error: (err as Error).message } });
    }
    const c = runtime.committer;
    const queueOk = c.depth < runtime.config.server.queueLimit && c.stats.lastError === null;
    checks.push({
      name: 'queue',
      ok: queueOk,
      detail: {
        depth: c.depth,
        limit: runtime.config.server.queueLimit,
        lastError: c.stats.lastError,
        oldestPendingMs: c.oldestPendingAgeMs(),
      },
    });
    checks.push({ name: 'ingestion lag', ok: true, detail: ingestionLag(runtime) });
    for (const check of healthChecks.get(runtime) ?? []) {
      try {
        checks.push(await check());
      } catch (err) {
        checks.push({ name: 'check', ok: false, detail: { error: (err as Error).message } });
      }
    }
    const ok = checks.every((x) => x.ok);
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'unhealthy',
      uptimeSeconds: Math.round((Date.now() - runtime.startedAt) / 1000),
      checks,
    });
  });

  app.get('/api/q/stats', async () => ({
    ...queueStats(runtime),
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

  app.get('/metrics', async (_req, reply) => {
    const t = runtime.telemetry;
    t.queueDepth.set(runtime.committer.depth);
    t.oldestPendingSeconds.set(runtime.committer.oldestPendingAgeMs() / 1000);
    t.ingestDelay.reset();
    for (const [source, p] of t.delays) {
      for (const q of [50, 90, 99] as const)
        t.ingestDelay.set({ source, quantile: String(q / 100) }, (p.get(q) ?? 0) / 1000);
    }
    t.quarantineHeld.reset();
    for (const [reason, n] of Object.entries(await runtime.quarantine.heldByReason()))
      t.quarantineHeld.set({ reason }, n);
    reply.header('content-type', t.registry.contentType);
    return t.registry.metrics();
  });
};

/** Per source: the delay from event time to receipt (percentiles, ms) and the oldest event not yet durable. */
export function ingestionLag(
  runtime: Runtime,
): Record<string, { delayMs: ReturnType<Percentiles['summary']>; oldestPendingMs: number }> {
  const pending = runtime.committer.oldestPendingBySource();
  const out: Record<string, { delayMs: ReturnType<Percentiles['summary']>; oldestPendingMs: number }> = {};
  for (const source of new Set([...runtime.telemetry.delays.keys(), ...Object.keys(pending)])) {
    const p = runtime.telemetry.delays.get(source);
    out[source] = {
      delayMs: p ? p.summary() : { p50: null, p90: null, p99: null, max: null },
      oldestPendingMs: pending[source] ?? 0,
    };
  }
  return out;
}

let lastSample = { at: Date.now(), committed: 0 };

/** The collector's queue statistics: depth, counts, rates, batch sizes, commit latency, oldest pending. */
export function queueStats(runtime: Runtime) {
  const s = runtime.committer.stats;
  const now = Date.now();
  const seconds = Math.max(0.001, (now - lastSample.at) / 1000);
  const rate = (s.committed - lastSample.committed) / seconds;
  if (now - lastSample.at > 1000) lastSample = { at: now, committed: s.committed };
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
