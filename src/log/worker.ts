import { Backoff, type BackoffSettings, defaultBackoff } from '../core/backoff.js';
import { sleep } from '../core/connection-watch.js';
import { upIf } from '../core/health.js';
import type { Runtime } from '../runtime.js';
import { decodeMessage, type LogMessage, type NatsLog } from './nats-log.js';

// Most log messages (each up to 512 KB of events) taken in one commit, and pulled ahead of the worker.
const BATCH_MESSAGES = 200;
const NOTHING_BUFFERED = Symbol('nothing buffered');

// Settles after the messages already received are handed out (they resolve in microtasks; this waits a turn).
function afterPendingIo(): Promise<typeof NOTHING_BUFFERED> {
  return new Promise((resolve) => setImmediate(() => resolve(NOTHING_BUFFERED)));
}

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
        // A continuous pull: messages arrive as collectors publish them. A fetch of a batch waited until the
        // batch was full or its 1 s expiry, so a worker stored one batch a second whatever the load (measured,
        // npm run bench -- server: 17.7k events/s with the worker using 0.17 of a core, and 2.7 s from a 2xx to
        // its events being readable).
        const messages = await consumer.consume({
          max_messages: BATCH_MESSAGES,
          // A consumer that is gone ends the pull, and the loop looks it up (declares it) again.
          abort_on_missing_resource: true,
        });
        const stopPulling = () => void messages.stop();
        signal.addEventListener('abort', stopPulling, { once: true });
        try {
          const it = messages[Symbol.asyncIterator]();
          let waiting: Promise<IteratorResult<LogMessage>> | undefined;
          for (;;) {
            const first = await (waiting ?? it.next());
            waiting = undefined;
            if (first.done) break;
            // The log's group commit: what has already arrived is stored with the first, in one commit.
            const msgs: LogMessage[] = [first.value];
            while (msgs.length < BATCH_MESSAGES) {
              const next = it.next();
              const r = await Promise.race([next, afterPendingIo()]);
              if (r === NOTHING_BUFFERED) {
                next.catch(() => undefined); // awaited with the next batch; not unhandled if the loop ends first
                waiting = next;
                break;
              }
              if (r.done) break;
              msgs.push(r.value);
            }
            if (!(await storeBatch(msgs))) return;
            for (const m of msgs) m.ack();
            backoff.succeeded();
          }
        } finally {
          signal.removeEventListener('abort', stopPulling);
          void messages.stop();
        }
        // The pull ended without a stop: the consumer or the stream went away. Look it up again, after a pause.
        if (!signal.aborted) await sleep(backoff.next(), signal);
      } catch (err) {
        // The log connection failed mid-pull (its watch logs the outage once); the batch, if any, is redelivered.
        if (log.watch.isUp) runtime.logger.warn({ err }, 'log worker: pulling from the log failed; retrying');
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
