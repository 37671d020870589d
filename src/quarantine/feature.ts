import { Counter } from 'prom-client';
import type { Feature, Role } from '../core/feature.js';
import type { Runtime } from '../runtime.js';

/** The quarantine feature: no background work of its own (intake fills it); its routes and its held gauge. */
export class QuarantineFeature implements Feature {
  readonly name = 'quarantine';
  readonly roles: readonly Role[] = [];

  constructor(private readonly runtime: Runtime) {
    const { quarantine } = runtime;
    new Counter({
      name: 'panoramix_events_quarantined_total',
      help: 'Inputs this process quarantined (kept with their bytes, not stored as events), by source and reason',
      labelNames: ['source', 'reason'],
      registers: [runtime.telemetry.registry],
      collect() {
        this.reset();
        for (const { source, reason, n } of quarantine.bySource.values()) this.inc({ source, reason }, n);
      },
    });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Inputs held, by reason: read from the store, whichever process quarantined them. */
  async metrics(): Promise<void> {
    const { telemetry, quarantine } = this.runtime;
    telemetry.quarantineHeld.reset();
    for (const [reason, n] of Object.entries(await quarantine.heldByReason()))
      telemetry.quarantineHeld.set({ reason }, n);
  }
}
