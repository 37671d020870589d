import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestCounters } from '../collect/ingest.js';
import { Percentiles } from '../collect/percentiles.js';
import type { Health } from './health.js';

/** The process's Prometheus registry and the collector's counters; features add their own metrics to it. */
export class Telemetry implements IngestCounters {
  readonly registry = new Registry();
  readonly acceptedBySource = new Map<string, number>();
  readonly rejectedByReason = new Map<string, number>();
  /** Per source: the delay from an event's time to its receipt, in ms (the last 4,096 events). */
  readonly delays = new Map<string, Percentiles>();
  /** Per source: every delay observed, counted and summed (seconds), the _count and _sum of the summary. */
  private readonly delayTotals = new Map<string, { count: number; sum: number }>();
  private readonly acceptedTotal: Counter<'source'>;
  private readonly rejectedTotal: Counter<'source' | 'reason'>;
  readonly commitSeconds: Histogram;
  readonly queueDepth: Gauge;
  readonly oldestPendingSeconds: Gauge;
  readonly quarantineHeld: Gauge<'reason'>;
  /** Anonymous inputs not kept in quarantine because they were over server.quarantineAnonymousPerMinute. */
  readonly quarantineDropped: Counter<'source'>;
  readonly logPending: Gauge<'state'>;
  private readonly committedTotal: Counter;
  readonly commitBatchSize: Histogram;

  /** `health`: the runtime's, whose supervised connections the up gauge and the reconnect counter read. */
  constructor(health?: Health) {
    // At the first runtime, not the first scrape: prom-client counts CPU time from when it is registered.
    processRegistry();
    if (health) connectionMetrics(this.registry, health);
    this.acceptedTotal = new Counter({
      name: 'panoramix_events_accepted_total',
      help: 'Events acknowledged as durable, by source',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.rejectedTotal = new Counter({
      name: 'panoramix_events_rejected_total',
      help: 'Events refused at intake, by source and reason',
      labelNames: ['source', 'reason'],
      registers: [this.registry],
    });
    this.commitSeconds = new Histogram({
      name: 'panoramix_commit_duration_seconds',
      help: 'Duration of one group commit',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.committedTotal = new Counter({
      name: 'panoramix_events_committed_total',
      help: 'Events newly stored (duplicates excluded are counted by accepted_total)',
      registers: [this.registry],
    });
    this.commitBatchSize = new Histogram({
      name: 'panoramix_commit_batch_events',
      help: 'Events written by one group commit',
      buckets: [1, 10, 100, 500, 1000, 5000, 10000, 20000, 50000],
      registers: [this.registry],
    });
    this.logPending = new Gauge({
      name: 'panoramix_log_pending_messages',
      help: 'Log messages not yet delivered (pending) or delivered but not acknowledged (ack_pending), server mode',
      labelNames: ['state'],
      registers: [this.registry],
    });
    this.quarantineHeld = new Gauge({
      name: 'panoramix_quarantine_held',
      help: 'Inputs held in quarantine (not yet replayed or discarded), by reason',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.quarantineDropped = new Counter({
      name: 'panoramix_quarantine_dropped_total',
      help: 'Inputs from requests without a write key refused and not kept, over server.quarantineAnonymousPerMinute, by source (declared, undeclared or unknown)',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.oldestPendingSeconds = new Gauge({
      name: 'panoramix_oldest_pending_age_seconds',
      help: 'Age of the oldest event accepted but not yet durable',
      registers: [this.registry],
    });
    this.queueDepth = new Gauge({
      name: 'panoramix_queue_depth',
      help: 'Events accepted but not yet durable',
      registers: [this.registry],
    });
  }

  /** The text of /metrics: this runtime's registry and the process's own metrics. */
  async metrics(): Promise<string> {
    return (await Registry.merge([processRegistry(), this.registry]).metrics()) + this.delaySummary();
  }

  /**
   * panoramix_ingest_delay_seconds as a Prometheus summary: quantiles 0.5, 0.9, 0.99 and 1 (the maximum) of
   * the last 4,096 events per source, with the count and sum of all. Written by hand because prom-client's
   * Summary would keep a digest per event on the ingest path, where a ring buffer already holds the window.
   */
  private delaySummary(): string {
    const name = 'panoramix_ingest_delay_seconds';
    const lines = [
      `# HELP ${name} Delay from an event's time to its receipt, per source (quantiles of the last 4,096 events)`,
      `# TYPE ${name} summary`,
    ];
    for (const [source, p] of this.delays) {
      const label = `source="${source.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
      for (const q of [50, 90, 99, 100])
        lines.push(`${name}{${label},quantile="${q / 100}"} ${(p.get(q) ?? 0) / 1000}`);
      const t = this.delayTotals.get(source) ?? { count: 0, sum: 0 };
      lines.push(`${name}_sum{${label}} ${t.sum}`, `${name}_count{${label}} ${t.count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Records one group commit. */
  committed(events: number, ms: number): void {
    this.committedTotal.inc(events);
    this.commitBatchSize.observe(events);
    this.commitSeconds.observe(ms / 1000);
  }

  accepted(source: string, n: number): void {
    this.acceptedTotal.inc({ source }, n);
    this.acceptedBySource.set(source, (this.acceptedBySource.get(source) ?? 0) + n);
  }

  delayed(source: string, ms: number): void {
    let p = this.delays.get(source);
    if (!p) {
      p = new Percentiles(4096);
      this.delays.set(source, p);
    }
    p.add(ms);
    const t = this.delayTotals.get(source);
    if (t) {
      t.count++;
      t.sum += ms / 1000;
    } else this.delayTotals.set(source, { count: 1, sum: ms / 1000 });
  }

  rejected(source: string, reason: string, n: number): void {
    this.rejectedTotal.inc({ source, reason }, n);
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + n);
  }
}

let processMetrics: Registry | undefined;

/**
 * The process and Node metrics every Prometheus dashboard knows (CPU, memory, heap, event loop lag, GC,
 * handles), once per process: they describe the process, not a runtime, and each collector runs a timer.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    // Gauges named like counters (promtool refuses them); nodejs_active_handles{type} and its kin say the same.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      processMetrics.removeSingleMetric(name);
  }
  return processMetrics;
}

/** Per supervised connection: up (1) or not (0), and its reconnects, read from the health registry on scrape. */
function connectionMetrics(registry: Registry, health: Health): void {
  new Gauge({
    name: 'panoramix_connection_up',
    help: 'Whether a supervised connection (broker, log, database) is up (1) or not (0)',
    labelNames: ['connection'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, state } of health.connections())
        this.set({ connection: name }, state.status === 'up' ? 1 : 0);
    },
  });
  new Counter({
    name: 'panoramix_connection_reconnects_total',
    help: 'Times a supervised connection came back after it was lost',
    labelNames: ['connection'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, state } of health.connections()) this.inc({ connection: name }, state.reconnects);
    },
  });
}
