import { failpoint } from '../core/failpoint.js';
import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import type { ErasureScope } from './config.js';
import { carryOutBatch } from './eraser.js';
import { type DeletionRecord, RequestLedger, subjectHash } from './request-ledger.js';
import { Suppression } from './suppression.js';

/**
 * The erasure feature: requests are recorded before they are acknowledged and carried out one at a time, in
 * order, where schedules run (`start`, or the `batch` leader, which also picks up requests that other
 * processes recorded); every process refuses suppressed subjects at ingest, from its creation on.
 */
export class Forget implements Feature {
  readonly name = 'erasure';
  readonly roles: readonly Role[] = ['all', 'serve', 'work', 'batch'];
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly runtime: Runtime,
    readonly ledger: RequestLedger,
    readonly suppression: Suppression,
  ) {}

  /** Sets up the erasure of a runtime (the composition does, once): its tables migrated, its suppression list loaded and in force. */
  static async open(runtime: Runtime): Promise<Forget> {
    const ledger = new RequestLedger(runtime.store);
    await ledger.migrate();
    const suppression = new Suppression(runtime.store, runtime.config.erasure.refreshSeconds * 1000);
    await suppression.load();
    runtime.ingest.refuseBy(suppression);
    return new Forget(runtime, ledger, suppression);
  }

  /** The erasure of a runtime. */
  static async of(runtime: Runtime): Promise<Forget> {
    return runtime.feature(Forget);
  }

  /** Records requests (pending, one per subject) and, in a process that carries them out, queues them. */
  async request(scopes: readonly ErasureScope[]): Promise<DeletionRecord[]> {
    const out: DeletionRecord[] = [];
    for (const scope of scopes) out.push(await this.ledger.create(scope));
    if (this.carries()) void this.resume();
    return out;
  }

  /** Carries out every unfinished request as one batch (eraser.ts); resolves when they are done. */
  resume(): Promise<DeletionRecord[]> {
    const run = this.queue.then(async () => {
      const unfinished = await this.ledger.unfinished();
      if (unfinished.length === 0) return [];
      const carried = await carryOutBatch(this.runtime, this.ledger, this.suppression, unfinished);
      // Once per batch of requests, before any is called done: a DuckDB delete leaves the rows' bytes in the
      // file until it is rewritten (the ledger row's subject text too, dropped just before).
      await this.runtime.store.compact?.();
      failpoint('forget.before-done');
      const done: DeletionRecord[] = [];
      for (const d of carried) {
        await this.ledger.markDone(d.id);
        done.push((await this.ledger.get(d.id))!);
      }
      return done;
    });
    this.queue = run.catch((err: Error) =>
      this.runtime.logger.error({ err }, 'deletion failed; it resumes at the next attempt'),
    );
    return run;
  }

  /**
   * The CLI's request: an unfinished request of the same scope is resumed rather than doubled (a rerun after
   * a crash), else a new one is recorded; every unfinished request is carried out, and this one returned.
   */
  async runToEnd(scope: ErasureScope): Promise<DeletionRecord> {
    return (await this.runAllToEnd([scope]))[0]!;
  }

  /** runToEnd for several subjects at once: one batch, one rewrite of the store. */
  async runAllToEnd(scopes: readonly ErasureScope[]): Promise<DeletionRecord[]> {
    const unfinished = await this.ledger.unfinished();
    const ids: string[] = [];
    for (const scope of scopes) {
      const same = unfinished.find(
        (d) =>
          // By hash: a request interrupted after its places were emptied no longer holds the subject's text.
          d.subjectHash === subjectHash(scope.subject) &&
          d.source === (scope.source ?? null) &&
          d.type === (scope.type ?? null) &&
          d.since === (scope.since === undefined ? null : new Date(scope.since).toISOString()) &&
          d.until === (scope.until === undefined ? null : new Date(scope.until).toISOString()) &&
          d.suppress === scope.suppress,
      );
      ids.push((same ?? (await this.ledger.create(scope))).id);
    }
    await this.resume();
    return Promise.all(ids.map(async (id) => (await this.ledger.get(id))!));
  }

  /** Background work: suppression re-read, and (where requests are carried out) a poll for new ones. */
  async start(): Promise<void> {
    const log = this.runtime.logger.child({ component: 'forget' });
    this.suppression.start((err) => log.warn({ err }, 'could not re-read the suppression list'));
    if (!this.carries()) return;
    void this.resume();
    this.timer = setInterval(() => void this.resume(), this.runtime.config.erasure.refreshSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.suppression.stop();
    if (this.timer) clearInterval(this.timer);
    await this.queue;
  }

  private carries(): boolean {
    return this.runtime.role === 'all' || this.runtime.role === 'batch';
  }
}
