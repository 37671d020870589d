/** One refused input in an ingest answer. */
export interface Rejection {
  readonly index: number;
  readonly line?: number;
  readonly id?: string;
  readonly field?: string;
  readonly error: string;
}

/** What an ingest request is answered with. */
export interface IngestOutcome {
  readonly status: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: Rejection[];
  /** Inputs held under a quarantine policy (not stored, not errors: they wait for a replay). */
  readonly quarantined?: number;
  readonly error?: string;
  readonly retryAfterSeconds?: number;
  /** The write key's quota headers (RateLimit-Policy, RateLimit), when its source has a quota. */
  readonly rateLimit?: Readonly<Record<string, string>>;
}

/** A request refused whole, before any input was read. */
export function refuse(status: number, error: string): IngestOutcome {
  return { status, accepted: 0, duplicates: 0, rejected: [], error };
}
