import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { decodeMessage, type NatsLog } from './nats-log.js';

/**
 * `panoramix work`: pulls batches from the log, writes them through this process's group commit to the
 * store, and acknowledges the messages only after the commit. A worker killed mid-batch leaves its messages
 * unacknowledged; JetStream redelivers them to another worker, and the (source, id) key stores them once.
 */
export async function runLogWorker(
  runtime: Runtime,
  log: NatsLog,
  store: { submit: Runtime['committer']['submit'] },
): Promise<() => Promise<void>> {
  const consumer = await log.consumer();
  let running = true;
  let stored = 0;
  let lastError: string | null = null;
  const loop = (async () => {
    while (running) {
      try {
        const batch = await consumer.fetch({ max_messages: 200, expires: 1000 });
        const msgs = [];
        for await (const m of batch) msgs.push(m);
        if (msgs.length === 0) continue;
        const decoded = msgs.map((m) => decodeMessage(m.data));
        const events = decoded.flatMap((d) => d.events);
        const bad = decoded.flatMap((d) => d.bad);
        const result = events.length ? await store.submit(events) : { stored: [] };
        stored += result.stored.length;
        // Kept, with their bytes, before the messages are acknowledged: a crash in between keeps them twice,
        // never loses them (the events are stored once whatever happens).
        if (bad.length) {
          await runtime.quarantine.put(
            bad.map((b) => ({
              source: b.source ?? 'unknown',
              raw: b.raw,
              reason: 'unparseable' as const,
              error: `a log message line is not an event: ${b.error}`,
            })),
          );
          runtime.logger.warn(
            { lines: bad.length },
            'log worker: lines that are not events were quarantined',
          );
        }
        for (const m of msgs) m.ack();
        lastError = null;
      } catch (err) {
        lastError = (err as Error).message;
        runtime.logger.error({ err }, 'log worker: batch not stored; it will be redelivered');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();
  // The consumer's lag for /metrics, every few seconds (a JetStream API call, not per batch).
  const lagTimer = setInterval(() => {
    log
      .pending()
      .then((p) => {
        runtime.telemetry.logPending.set({ state: 'pending' }, p.pending);
        runtime.telemetry.logPending.set({ state: 'ack_pending' }, p.ackPending);
      })
      .catch(() => undefined);
  }, 5000);
  lagTimer.unref();
  runtime.health.add('log worker', async () => {
    const lag = await log.pending().catch(() => null);
    return { status: upIf(lastError === null), detail: { stored, lag, lastError }, lastError };
  });
  return async () => {
    clearInterval(lagTimer);
    running = false;
    await loop;
  };
}
