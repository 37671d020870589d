import { Backoff, type BackoffSettings, defaultBackoff } from '../core/backoff.js';
import { sleep } from '../core/connection-watch.js';
import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { decodeMessage, type LogMessage, type NatsLog } from './nats-log.js';

/**
 * `panoramix work`: pulls batches from the log, writes them through this process's group commit to the
 * store, and acknowledges the messages only after the commit. A worker killed mid-batch leaves its messages
 * unacknowledged; JetStream redelivers them to another worker, and the (source, id) key stores them once.
 *
 * A store that fails (PostgreSQL down) does not lose the batch or hand it back: the worker keeps it, tells
 * JetStream it is still working on it, and retries with backoff until it is stored. A lost log connection is
 * waited out, and the consumer is looked up (and declared) again once the log is back.
 */
export async function runLogWorker(
  runtime: Runtime,
  log: NatsLog,
  store: { submit: Runtime['committer']['submit'] },
  settings: BackoffSettings = defaultBackoff,
): Promise<() => Promise<void>> {
  const stopping = new AbortController();
  const { signal } = stopping;
  let stored = 0;
  let lastError: string | null = null;
  let holding = 0;
  const ackWaitMs = (log.options.ackWaitSeconds ?? 30) * 1000;

  // Stores one batch, retrying until it is stored or the worker stops; false: stopped with it unstored.
  const storeBatch = async (msgs: LogMessage[]): Promise<boolean> => {
    const decoded = msgs.map((m) => decodeMessage(m.data));
    // A collector accepted these before their subject was erased: they are dropped, not stored after the erasure.
    const all = decoded.flatMap((d) => d.events);
    const events = all.filter((e) => runtime.ingest.erased(e) === null);
    if (events.length < all.length)
      runtime.logger.info(
        { events: all.length - events.length },
        'log worker: events of erased subjects dropped',
      );
    const bad = decoded.flatMap((d) => d.bad);
    const backoff = new Backoff(settings);
    for (;;) {
      try {
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
        if (lastError !== null)
          runtime.logger.info(
            { events: events.length },
            'log worker: the held batch is stored; consuming again',
          );
        lastError = null;
        holding = 0;
        return true;
      } catch (err) {
        if (lastError === null)
          runtime.logger.error(
            { err, messages: msgs.length },
            'log worker: batch not stored; holding it (unacknowledged) and retrying with backoff',
          );
        lastError = (err as Error).message;
        holding = msgs.length;
        // Wait in steps well inside the ack wait, telling JetStream each time that the batch is still ours.
        let wait = backoff.next();
        while (wait > 0 && !signal.aborted) {
          for (const m of msgs) m.working();
          const step = Math.min(wait, ackWaitMs / 3);
          await sleep(step, signal);
          wait -= step;
        }
        if (signal.aborted) return false;
      }
    }
  };

  const loop = (async () => {
    const backoff = new Backoff(settings);
    while (!signal.aborted) {
      try {
        const consumer = await log.consumer(signal);
        if (signal.aborted) return;
        while (!signal.aborted) {
          const batch = await consumer.fetch({ max_messages: 200, expires: 1000 });
          const msgs: LogMessage[] = [];
          for await (const m of batch) msgs.push(m);
          if (msgs.length === 0) {
            // An empty fetch while the log is down: look the consumer up again once it is back.
            if (!log.watch.isUp) break;
            continue;
          }
          if (!(await storeBatch(msgs))) return;
          for (const m of msgs) m.ack();
          backoff.succeeded();
        }
      } catch (err) {
        // The log connection failed mid-fetch (its watch logs the outage once); the batch, if any, is redelivered.
        if (log.watch.isUp)
          runtime.logger.warn({ err }, 'log worker: fetching from the log failed; retrying');
        await sleep(backoff.next(), signal);
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
    return { status: upIf(lastError === null), detail: { stored, holding, lag, lastError }, lastError };
  });
  return async () => {
    clearInterval(lagTimer);
    stopping.abort();
    await loop;
  };
}
