import { Counter, Gauge, type Registry } from 'prom-client';

/** A destination's lag and state, as read from the store on each scrape. */
export interface LagReading {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly paused: boolean;
  readonly lastStatus: number | null;
}

/** Per-destination Prometheus metrics; counters count this process's attempts, gauges read the store. */
export class DestinationMetrics {
  readonly delivered: Counter<'destination'>;
  readonly failed: Counter<'destination'>;
  readonly retries: Counter<'destination'>;
  readonly deadLetters: Counter<'destination'>;

  constructor(registry: Registry, lag: () => Promise<readonly LagReading[]>) {
    const registers = [registry];
    const labelNames = ['destination'] as const;
    this.delivered = new Counter({
      name: 'panoramix_destination_delivered_total',
      help: 'Events a destination accepted',
      labelNames,
      registers,
    });
    this.failed = new Counter({
      name: 'panoramix_destination_failed_total',
      help: 'Delivery attempts that failed and will be retried (5xx, 429, timeouts, connection errors)',
      labelNames,
      registers,
    });
    this.retries = new Counter({
      name: 'panoramix_destination_retries_total',
      help: 'Delivery attempts that repeated a failed one',
      labelNames,
      registers,
    });
    this.deadLetters = new Counter({
      name: 'panoramix_destination_dead_letters_total',
      help: 'Events a destination refused for good (4xx), kept as dead letters',
      labelNames,
      registers,
    });
    // One read of the store serves the four gauges of a scrape.
    let reading: Promise<readonly LagReading[]> | undefined;
    const read = () => {
      reading ??= lag().finally(() => setTimeout(() => (reading = undefined), 100).unref());
      return reading;
    };
    const gauge = (name: string, help: string, value: (r: LagReading) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          for (const r of await read()) {
            const v = value(r);
            if (v !== null) this.set({ destination: r.name }, v);
          }
        },
      });
    gauge('panoramix_destination_lag_events', 'Events stored after the destination cursor', (r) => r.events);
    gauge(
      'panoramix_destination_lag_seconds',
      'Age of the oldest stored event the destination has not had yet',
      (r) => r.seconds,
    );
    gauge(
      'panoramix_destination_last_status_code',
      'Status of the last answer (HTTP destinations)',
      (r) => r.lastStatus,
    );
    gauge('panoramix_destination_paused', '1 while the destination is paused', (r) => (r.paused ? 1 : 0));
  }
}
