import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/store.js';
import type { ProjectionEngine } from './engine.js';
import { allVersions } from './registry.js';

/**
 * How far each projection's active version is behind the store: events committed after what it has read
 * (the speed layer's position, or the batch watermark for batch-only shapes), and the age of the oldest of
 * them. Read from the store on each scrape, so any process with the HTTP API shows it, whichever one folds.
 */
export class ProjectionLagMetrics {
  private readonly events: Gauge<'projection'>;
  private readonly seconds: Gauge<'projection'>;

  constructor(registry: Registry) {
    this.events = new Gauge({
      name: 'panoramix_projection_lag_events',
      help: "Events committed after the last one a projection's active version has read",
      labelNames: ['projection'],
      registers: [registry],
    });
    this.seconds = new Gauge({
      name: 'panoramix_projection_lag_seconds',
      help: 'Age (since receipt) of the oldest committed event a projection has not read yet; 0 when current',
      labelNames: ['projection'],
      registers: [registry],
    });
  }

  async update(store: Store, engine: ProjectionEngine): Promise<void> {
    const [versions, lastSeq] = await Promise.all([allVersions(store), store.lastSeq()]);
    this.events.reset();
    this.seconds.reset();
    const now = Date.now();
    for (const v of versions) {
      if (v.status !== 'active' || !engine.plans.has(v.name)) continue;
      const read = engine.plans.get(v.name)?.incremental ? v.speedSeq : v.watermark;
      const behind = Math.max(0, lastSeq - read);
      this.events.set({ projection: v.name }, behind);
      const [next] = behind > 0 ? await store.readEvents(read, 1) : [];
      this.seconds.set({ projection: v.name }, next ? Math.max(0, (now - next.receivedAt) / 1000) : 0);
    }
  }
}

/** Keys each latest projection holds whole in memory in this process (DuckDB's replicas; none elsewhere). */
export class ReplicaMetrics {
  private readonly keys: Gauge<'projection'>;

  constructor(registry: Registry) {
    this.keys = new Gauge({
      name: 'panoramix_projection_replica_keys',
      help: "Keys of a latest projection held in this process's memory, so keyed reads need no statement",
      labelNames: ['projection'],
      registers: [registry],
    });
  }

  update(replicas: ReadonlyMap<string, number>): void {
    this.keys.reset();
    for (const [projection, n] of replicas) this.keys.set({ projection }, n);
  }
}
