/**
 * The health of a process's parts, as `/status` reports it. Each part registers a check with the runtime's
 * registry; the registry knows no HTTP, so features, workers and the CLI can report without the server.
 */

/** A part works (`up`), works in part (`degraded`: e.g. one of its connections is down), or does not. */
export type HealthStatus = 'up' | 'degraded' | 'down';

/** What one check says about its part. */
export interface PartHealth {
  readonly status: HealthStatus;
  /** What an operator needs to see of the part (counts, lag, the state of each connection). */
  readonly detail?: unknown;
  readonly lastError?: string | null;
  /** When a part that is down tries again (ISO time), so `/status` can say it. */
  readonly nextRetryAt?: string | null;
  /** How many times the part reconnected since the process started. */
  readonly reconnects?: number;
}

/** A part's health check: read when `/status` is asked, so it should be quick; undefined: nothing to report. */
export type HealthCheck = () => PartHealth | undefined | Promise<PartHealth | undefined>;

/**
 * What a supervised connection (a broker, the log, a database pool) reports of itself: whether it is up,
 * why it went down, when it tries again, and how often it came back. Its owner keeps it current.
 */
export interface ConnectionState {
  status: HealthStatus;
  lastError: string | null;
  /** ISO time of the next attempt while the connection is down; null while it is up. */
  nextRetryAt: string | null;
  reconnects: number;
}

/** A fresh connection state: down until the first connect succeeds. */
export function initialConnectionState(): ConnectionState {
  return { status: 'down', lastError: null, nextRetryAt: null, reconnects: 0 };
}

/** One line of the report: the part's name, its health, and `ok` (not down) for readers of the old shape. */
export interface HealthEntry extends PartHealth {
  readonly name: string;
  readonly ok: boolean;
}

/** The aggregate: `ok` when every part is up, `degraded` when some work in part, `unhealthy` when one is down. */
export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'unhealthy';
  readonly ok: boolean;
  readonly checks: HealthEntry[];
}

/** The health checks of one runtime, in registration order. */
export class Health {
  private readonly checks: { name: string; check: HealthCheck }[] = [];
  private readonly connectionStates: { name: string; state: () => ConnectionState }[] = [];

  /** Registers a part's check; the returned function removes it (a part that stops reporting). */
  add(name: string, check: HealthCheck): () => void {
    const entry = { name, check };
    this.checks.push(entry);
    return () => {
      const i = this.checks.indexOf(entry);
      if (i >= 0) this.checks.splice(i, 1);
    };
  }

  /**
   * Registers a supervised connection: its state is its health (with `detail` beside it), and `/metrics`
   * reads it for the up gauge and the reconnect counter.
   */
  addConnection(name: string, state: () => ConnectionState, detail?: () => unknown): () => void {
    const entry = { name, state };
    this.connectionStates.push(entry);
    const remove = this.add(name, () => {
      const s = state();
      return {
        status: s.status,
        ...(detail ? { detail: detail() } : {}),
        lastError: s.lastError,
        nextRetryAt: s.nextRetryAt,
        reconnects: s.reconnects,
      };
    });
    return () => {
      remove();
      const i = this.connectionStates.indexOf(entry);
      if (i >= 0) this.connectionStates.splice(i, 1);
    };
  }

  /** The supervised connections and their current states (for the metrics). */
  connections(): { name: string; state: ConnectionState }[] {
    return this.connectionStates.map((c) => ({ name: c.name, state: c.state() }));
  }

  /** Runs every check; a check that throws reports its part down with the error, one with nothing to say is left out. */
  async report(): Promise<HealthReport> {
    const checks: HealthEntry[] = [];
    for (const { name, check } of this.checks) {
      try {
        const h = await check();
        if (h) checks.push({ name, ok: h.status !== 'down', ...h });
      } catch (err) {
        const message = (err as Error).message;
        checks.push({ name, ok: false, status: 'down', detail: { error: message }, lastError: message });
      }
    }
    const down = checks.some((c) => c.status === 'down');
    const degraded = checks.some((c) => c.status === 'degraded');
    return { status: down ? 'unhealthy' : degraded ? 'degraded' : 'ok', ok: !down, checks };
  }
}

/** The status of a part that is either working or not (most checks). */
export function upIf(ok: boolean): HealthStatus {
  return ok ? 'up' : 'down';
}
