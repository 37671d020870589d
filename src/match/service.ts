import path from 'node:path';
import { Gauge } from 'prom-client';
import { AfterCommit } from '../core/after-commit.js';
import type { Feature, Role } from '../core/feature.js';
import { upIf } from '../core/health.js';
import { Supervisor } from '../core/supervisor.js';
import type { Runtime } from '../runtime.js';
import type { MatchBroker } from './broker.js';
import type { MatchingConfig } from './config.js';
import { Exporter } from './exporter.js';
import { TransactionFolder } from './fold.js';
import { ImportDirectory } from './import-dir.js';
import { importFromQueue } from './import-queue.js';
import { TransactionImporter } from './importer.js';
import { Matcher } from './matcher.js';
import { MATCH_MIGRATIONS } from './migrations.js';
import { checkIn, MatchQueries } from './queries.js';
import { ReferenceData } from './reference.js';
import { SIDES } from './transaction.js';

/** Matching's parts for one runtime: shared by its services, its HTTP routes and the CLI. */
export interface Matching {
  readonly config: MatchingConfig;
  readonly reference: ReferenceData;
  readonly importer: TransactionImporter;
  readonly folder: TransactionFolder;
  readonly matcher: Matcher;
  readonly exporter: Exporter;
  readonly queries: MatchQueries;
  /** The RabbitMQ connection, while it is up (when one is configured). */
  broker(): MatchBroker | undefined;
  /** Set by the service that owns the connection. */
  attachBroker(b: MatchBroker | undefined): void;
  /** Folds new transactions, matches, exports: what the services do continuously, done once, in order. */
  runOnce(): Promise<{ folded: number; matched: number; exported: number }>;
}

/**
 * The matching feature: its parts (set up once; the services, the HTTP routes and the CLI share them) and
 * the services of matchingService, in the roles that run a part of them.
 */
export class MatchingFeature implements Feature {
  readonly name = 'matching';
  readonly roles: readonly Role[] = ['all', 'work', 'batch'];
  private opened: Promise<Matching | undefined> | undefined;
  private stopService: (() => Promise<void>) | undefined;

  constructor(private readonly runtime: Runtime) {}

  /** Matching's parts (undefined when the configuration has no `matching` section). */
  matching(): Promise<Matching | undefined> {
    this.opened ??= setUp(this.runtime);
    return this.opened;
  }

  async start(): Promise<void> {
    this.stopService = await matchingService(this.runtime);
  }

  async stop(): Promise<void> {
    await this.stopService?.();
  }
}

/** Matching for a runtime (undefined when the configuration has no `matching` section), set up once. */
export function matchingOf(runtime: Runtime): Promise<Matching | undefined> {
  return runtime.feature(MatchingFeature).matching();
}

async function setUp(runtime: Runtime): Promise<Matching | undefined> {
  const config = runtime.config.matching;
  if (!config) return undefined;
  const { store } = runtime;
  await store.migrate(MATCH_MIGRATIONS);
  const reference = new ReferenceData(store);
  // Providers and schemes named in the configuration are reference data from the start.
  const known = {
    provider: new Set((await reference.owners('provider')).map((o) => o.slug)),
    scheme: new Set((await reference.owners('scheme')).map((o) => o.slug)),
  };
  for (const [slug, p] of Object.entries(config.providers))
    if (!known.provider.has(slug)) await reference.addOwner('provider', slug, p.name);
  for (const [slug, s] of Object.entries(config.schemes))
    if (!known.scheme.has(slug)) await reference.addOwner('scheme', slug, s.name);
  let broker: MatchBroker | undefined;
  const exporter = new Exporter(store, config, () => broker, runtime.baseDir);
  const matching: Matching = {
    config,
    reference,
    importer: new TransactionImporter(runtime, config),
    folder: new TransactionFolder(store),
    matcher: new Matcher(store, config),
    exporter,
    queries: new MatchQueries(store, config),
    broker: () => broker,
    attachBroker(b) {
      broker = b;
    },
    async runOnce() {
      await runtime.committer.drain();
      const f = await this.folder.fold();
      const p = await this.matcher.pass();
      let exported = 0;
      for (;;) {
        const r = await this.exporter.run();
        exported += r.exported;
        if (r.exported === 0) break;
      }
      return { folded: f.payments + f.schemeTransactions, matched: p.matched + p.spotted, exported };
    },
  };
  return matching;
}

const FOLD_DELAY_MS = 100;
const EXPORT_EVERY_MS = 1000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The matching services: the importer (fold after commits, import directory, RabbitMQ import queues), the
 * matching worker (fed by the job queue), and the exporter; which of them run depends on the process's role.
 */
export async function matchingService(runtime: Runtime): Promise<(() => Promise<void>) | undefined> {
  const m = await matchingOf(runtime);
  if (!m) return undefined;
  const log = runtime.logger.child({ component: 'matching' });
  const works = runtime.role === 'all' || runtime.role === 'work';
  const exports = runtime.role === 'all' || runtime.role === 'batch';
  const state = { stopped: false };
  // The latest failure of each part, cleared by its next success: /status is unhealthy while any remains.
  const errors = new Map<string, string>();
  const timers: NodeJS.Timeout[] = [];
  const fail = (what: string) => (err: Error) => {
    errors.set(what, err.message);
    log.error({ err }, `${what} failed; retrying`);
  };
  const ok = (what: string) => errors.delete(what);

  // Matching worker: jobs come through RabbitMQ when configured, else straight from the importer.
  let matchQueued: Promise<void> = Promise.resolve();
  const runPass = (schemes?: string[]) => {
    matchQueued = matchQueued
      .then(async () => {
        const r = await m.matcher.pass(schemes ? { schemes } : {});
        ok('matching pass');
        if (r.matched + r.spotted + r.ambiguous + r.unmatched + r.resolved > 0) log.info(r, 'matching pass');
        if (exports) kickExport();
      })
      .catch(fail('matching pass'));
    return matchQueued;
  };

  // Importer: fold what was committed into the matching tables, then ask for a pass.
  let folds: AfterCommit | undefined;
  const fold = async () => {
    const f = await m.folder.fold();
    ok('fold');
    if (f.payments + f.schemeTransactions === 0) return;
    await checkIn(runtime.store, 'importer', f);
    const job = { schemes: f.schemes, groups: f.groups };
    const broker = m.broker();
    if (!runtime.config.matching!.rabbitmq) await runPass(f.schemes);
    else if (broker?.connected)
      await broker.send(broker.queues.jobs, [job]).catch((err: Error) => {
        // A job is a hint: one lost with the connection is made up by the pass at the reconnect.
        if (broker.connected) throw err;
      });
    // With RabbitMQ down, the pass at the reconnect (and the periodic sweep) matches what is pending.
  };

  let exporting = false;
  let exportAgain = false;
  const kickExport = () => {
    if (exporting) {
      exportAgain = true;
      return;
    }
    exporting = true;
    void (async () => {
      try {
        do {
          exportAgain = false;
          const r = await m.exporter.run();
          ok('export');
          if (r.exported || r.failed || r.reconciled) {
            log.info(r, 'export run');
            await checkIn(runtime.store, 'exporter', r);
            if (r.exported) exportAgain = true;
          }
        } while (exportAgain && !state.stopped);
      } catch (err) {
        fail('export')(err as Error);
      } finally {
        exporting = false;
      }
    })();
  };

  // RabbitMQ: a supervised connection. Each session declares the queues and the consumers again; the
  // exporter and the importer use it while it is up, and wait (or fall back to the sweep) while it is down.
  const rabbit = m.config.rabbitmq;
  const openBroker = async (): Promise<MatchBroker> => {
    // amqplib loads only when matching has a RabbitMQ.
    const { MatchBroker, queueNames } = await import('./broker.js');
    const broker = await MatchBroker.connect(rabbit!.url, queueNames(rabbit!.prefix, m.config.export.queue));
    try {
      if (works) {
        await broker.consume(broker.queues.jobs, 100, 50, async (batch) => {
          const schemes = new Set<string>();
          for (const d of batch) {
            try {
              for (const s of (JSON.parse(d.body.toString()) as { schemes?: string[] }).schemes ?? [])
                schemes.add(s);
            } catch {
              // A job is only a hint to look: a malformed one still triggers a pass.
            }
          }
          log.info(await m.matcher.pass({ schemes: [...schemes] }), 'matching pass');
          if (exports) kickExport();
        });
        for (const side of SIDES) {
          const queue = side === 'payment' ? broker.queues.importPayment : broker.queues.importScheme;
          await broker.consume(queue, 500, 50, (batch) => importFromQueue(runtime, m, side, batch));
        }
      }
      return broker;
    } catch (err) {
      await broker.close();
      throw err;
    }
  };
  const connection = rabbit
    ? new Supervisor(
        'matching (rabbitmq)',
        openBroker,
        log.child({ url: redact(rabbit.url) }),
        runtime.config.reconnect,
        {
          up: (broker) => {
            m.attachBroker(broker);
            // What was folded while RabbitMQ was down sent no job: match it now, and export what waited.
            if (works) void runPass();
            else if (exports) kickExport();
          },
          down: () => m.attachBroker(undefined),
        },
      )
    : undefined;
  connection?.start();

  if (works) {
    folds = new AfterCommit(runtime.committer, fold, fail('fold'), FOLD_DELAY_MS, runtime.config.reconnect);
    folds.now(); // what was stored while the process was down
    timers.push(setInterval(() => void runPass(), SWEEP_EVERY_MS));
    if (m.config.importDir) {
      const dir = new ImportDirectory(path.resolve(runtime.baseDir, m.config.importDir), m.importer, log);
      let scanning = false;
      timers.push(
        setInterval(() => {
          if (scanning) return;
          scanning = true;
          dir
            .scan()
            .then(() => ok('import directory'), fail('import directory'))
            .finally(() => {
              scanning = false;
            });
        }, m.config.pollSeconds * 1000),
      );
    }
  }
  if (exports) timers.push(setInterval(kickExport, EXPORT_EVERY_MS));
  for (const t of timers) t.unref?.();

  // Read from the store on each scrape: the counts are the tables', whichever process changed them. Registered
  // once per process: a batch leader starts matching again, on the same runtime, each time it regains the lock.
  if (!runtime.telemetry.registry.getSingleMetric('panoramix_match_transactions')) registerGauges(runtime, m);
  const checks = [
    ...(connection ? [runtime.health.addConnection(connection.name, () => connection.state)] : []),
    runtime.health.add('matching', async () => ({
      status: upIf(errors.size === 0),
      detail: {
        rabbitmq: connection ? connection.state.status : 'not configured',
        checkins: await m.queries.checkins(),
        exports: await m.exporter.counts(),
        errors: Object.fromEntries(errors),
      },
    })),
  ];
  return async () => {
    for (const withdraw of checks) withdraw();
    state.stopped = true;
    for (const t of timers) clearTimeout(t);
    await folds?.stop();
    await matchQueued;
    while (exporting) await new Promise((r) => setTimeout(r, 20));
    await connection?.stop();
  };
}

/** Matching's gauges: read from the store on each scrape. */
function registerGauges(runtime: Runtime, m: Matching): void {
  new Gauge({
    name: 'panoramix_match_transactions',
    help: 'Transactions by side (payment, scheme) and matching status',
    labelNames: ['side', 'status'],
    registers: [runtime.telemetry.registry],
    async collect() {
      this.reset();
      for (const [side, counts] of Object.entries(await m.queries.totals()))
        for (const [status, n] of Object.entries(counts)) this.set({ side, status }, n);
    },
  });
  new Gauge({
    name: 'panoramix_match_exports',
    help: 'Match exports by status (PENDING, EXPORTED, EXPORT_FAILED)',
    labelNames: ['status'],
    registers: [runtime.telemetry.registry],
    async collect() {
      this.reset();
      for (const [status, n] of Object.entries(await m.exporter.counts())) this.set({ status }, n);
    },
  });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
