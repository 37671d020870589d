import { Cron } from 'croner';
import { Counter } from 'prom-client';
import { Backoff } from '../core/backoff.js';
import { isConnectionError } from '../core/connection-errors.js';
import { ConnectionWatch, sleep } from '../core/connection-watch.js';
import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';
import { watchedDatasource } from './datasources/watched-datasource.js';
import { extractAndLoad } from './extract-load.js';

/**
 * The lake feature: where schedules run, each lake table's extract-and-load on its cron (UTC). A scheduled run
 * whose database datasource cannot be reached is retried with the reconnect backoff, for the same window,
 * until it gets through (or the feature stops); each database datasource is a supervised connection in
 * /status and /metrics from its first run on.
 */
export class Lake implements Feature {
  readonly name = 'lake';
  readonly roles: readonly Role[] = ['all', 'batch'];
  private jobs: Cron[] = [];
  private readonly runs: Counter<'status'>;
  private readonly stopping = new AbortController();
  private readonly watches = new Map<string, ConnectionWatch>();

  constructor(private readonly runtime: Runtime) {
    this.runs = new Counter({
      name: 'panoramix_lake_runs_total',
      help: 'Finished lake extract-and-load runs, by status (ok, failed), scheduled or by hand',
      labelNames: ['status'],
      registers: [runtime.telemetry.registry],
    });
  }

  /** The recorded runs by status, from the store (before a scrape of /metrics). */
  async metrics(): Promise<void> {
    if (!this.runtime.config.lake) return;
    const rows = await this.runtime.store
      .query(
        "SELECT status, count(*) AS n FROM panoramix_lake_runs WHERE status <> 'running' GROUP BY status",
      )
      // Not there yet: no lake run has happened on this store.
      .catch(() => []);
    this.runs.reset();
    for (const r of rows) this.runs.inc({ status: String(r.status) }, Number(r.n));
  }

  async start(): Promise<void> {
    const lake = this.runtime.config.lake;
    if (!lake) return;
    const log = this.runtime.logger.child({ component: 'lake' });
    for (const [name, table] of Object.entries(lake.tables)) {
      if (!table.schedule) continue;
      this.jobs.push(
        new Cron(table.schedule, { protect: true, timezone: 'UTC' }, () => this.runTable(name, log)),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const j of this.jobs) j.stop();
  }

  // One scheduled run of a table, retried while a datasource is unreachable (the watch logs the outage once).
  private async runTable(name: string, log: Runtime['logger']): Promise<void> {
    const now = new Date();
    const backoff = new Backoff(this.runtime.config.reconnect);
    const databases = this.runtime.config.lake?.datasources ?? {};
    while (!this.stopping.signal.aborted) {
      try {
        const run = await extractAndLoad(this.runtime, {
          tables: [name],
          now,
          wrapDatasource: (ds, source) =>
            databases[ds]?.type === 'mysql' || databases[ds]?.type === 'postgres'
              ? watchedDatasource(source, this.watch(ds))
              : source,
        });
        log.info(
          {
            table: name,
            rows: run.rows,
            partitions: run.tables[0]?.partitions.length ?? 0,
            seconds: run.seconds,
          },
          'lake run',
        );
        this.reportWatches();
        return;
      } catch (err) {
        this.reportWatches();
        if (!isConnectionError(err)) {
          log.error({ err, table: name }, 'scheduled lake run failed');
          return;
        }
        // The datasource that is down says when it is tried next (its nextRetryAt in /status); the store's
        // own outage (its pool logs it) waits the plain backoff.
        const down = [...this.watches.values()].find((w) => !w.isUp && w.state.lastError !== null);
        await sleep(down ? down.nextWait() : backoff.next(), this.stopping.signal);
      }
    }
  }

  // A datasource's connection shows in /status once a run has reached it or failed to: not before (its
  // first run would flash it down), nor for a datasource no scheduled run uses.
  private readonly reported = new Set<ConnectionWatch>();
  private reportWatches(): void {
    for (const watch of this.watches.values()) {
      if (this.reported.has(watch) || (!watch.isUp && watch.state.lastError === null)) continue;
      this.reported.add(watch);
      this.runtime.health.addConnection(watch.name, () => watch.state);
    }
  }

  // The watch of a database datasource, kept across runs (its reconnects count in /metrics).
  private watch(datasource: string): ConnectionWatch {
    let w = this.watches.get(datasource);
    if (!w) {
      const watch = new ConnectionWatch(
        `lake datasource ${datasource}`,
        this.runtime.logger.child({ component: 'lake' }),
        this.runtime.config.reconnect,
      );
      this.watches.set(datasource, watch);
      w = watch;
    }
    return w;
  }
}
