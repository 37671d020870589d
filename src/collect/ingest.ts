import type { Config } from '../config/schema.js';
import { ceSourceOf, type NewEvent } from '../core/event.js';
import type { Quarantine, QuarantineInput, QuarantineReason } from '../quarantine/quarantine.js';
import { recordFlags } from '../schemas/flags.js';
import type { TrackingPlan } from '../schemas/tracking-plan.js';
import type { Store } from '../store/store.js';
import type { BodyItem } from './body.js';
import { describeJson, toEvent } from './envelope.js';
import { type GroupCommitter, QueueFullError, SinkUnavailableError } from './group-commit.js';
import { type IngestOutcome, type Rejection, refuse } from './ingest-outcome.js';
import {
  cloudEventsSourceStep,
  contractStep,
  erasureStep,
  type IngestStep,
  runSteps,
  type StepsResult,
  storableTimeStep,
  trackingPlanStep,
} from './ingest-steps.js';
import { type QuotaAnswer, Quotas } from './quotas.js';
import { idOf, rawText, sourceOf } from './raw-input.js';
import type { Caller, WriteKeys } from './write-keys.js';

/** A function that reads one input as an event of a given source (the native envelope or a mapped shape). */
export type EventReader = (input: unknown, source: string, receivedAt: number) => ReturnType<typeof toEvent>;

/** Counts per source for /metrics and /api/q/stats. */
export interface IngestCounters {
  accepted(source: string, n: number): void;
  /** The delay between an event's time and its receipt, per source (the ingestion lag users watch). */
  delayed(source: string, ms: number): void;
  rejected(source: string, reason: string, n: number): void;
}

/** Refuses events whose subject was erased (src/forget/suppression.ts). */
export interface IngestGate {
  /** Why this event is refused, or null. */
  refusal(e: NewEvent): string | null;
  /** Whether an input that failed before it was read as an event must not be kept (its subject is erased). */
  mustNotKeep(value: unknown): boolean;
}

/** The shared ingest path of every HTTP intake: authorize, read, validate, group-commit, answer. */
export class Ingest {
  constructor(
    private readonly config: Config,
    private readonly keys: WriteKeys,
    private readonly committer: GroupCommitter,
    private readonly counters: IngestCounters,
    private readonly quarantine?: Quarantine,
    private readonly plan?: TrackingPlan,
    private readonly store?: Store,
  ) {}

  private quotasOf?: Quotas;

  /**
   * Charges a request to its write key's quota (sources.NAME.quota); undefined when there is none to charge:
   * no key presented (anonymous, or an internal caller such as an importer), or no quota on the source.
   */
  charge(caller: Caller, events: number, bytes: number): QuotaAnswer | undefined {
    if (caller.kind !== 'source' || caller.key === undefined) return undefined;
    this.quotasOf ??= new Quotas(this.config.sources);
    return this.quotasOf.charge(caller.source, caller.key, events, bytes);
  }

  private readonly contracts = new Map<string, (e: NewEvent) => ReturnType<typeof toEvent>>();
  private gate?: IngestGate;

  /**
   * Registers the refusal of events that must leave no copy (an erased subject's): refused with a reason and
   * never quarantined, and inputs the gate recognizes are not quarantined when they fail for another reason.
   */
  refuseBy(gate: IngestGate): void {
    this.gate = gate;
  }

  /** Why an event already accepted elsewhere must not be stored (its subject was erased since), or null. */
  erased(e: NewEvent): string | null {
    return this.gate?.refusal(e) ?? null;
  }

  /** Whether a refused input may be held in quarantine (not when it names an erased subject). */
  mayHold(value: unknown): boolean {
    return !this.gate?.mustNotKeep(value);
  }

  /**
   * Registers a check of the events of one type, whichever intake they arrive by (a feature whose tables are
   * folded from events, such as matching, owns its types' shape): a failing event is refused with its field.
   */
  contract(type: string, check: (e: NewEvent) => ReturnType<typeof toEvent>): void {
    this.contracts.set(type, check);
  }

  /**
   * The checks of an event read from an input, in order: every intake runs this list (HTTP, brokers, replays).
   * `checked`: the reader already applied the types' contracts.
   */
  private eventSteps(checked: boolean): IngestStep[] {
    return [
      cloudEventsSourceStep(this.config),
      ...(checked ? [] : [contractStep(this.contracts)]),
      storableTimeStep(),
      erasureStep((e) => this.erased(e)),
      ...(this.plan && !this.plan.empty ? [trackingPlanStep(this.plan)] : []),
    ];
  }

  /**
   * An event read from an input through every check HTTP makes, in the same order: a replay and a broker
   * answer what this says in their own way (a broker cannot send an error back: it holds the message).
   */
  judge(e: NewEvent): StepsResult {
    return runSteps(this.eventSteps(false), e);
  }

  /** The reader for a source: its mapping from the configuration, or the CloudEvents envelope. */
  readerFor(source: string): EventReader {
    const mapping = this.config.sources[source]?.mapping;
    return (input, s, at) => toEvent(input, s, mapping, at);
  }

  /**
   * `checked`: the reader already applied the contracts of the types it produces (an importer that builds
   * canonical events itself), so they are not checked twice.
   */
  async handle(
    items: readonly BodyItem[],
    caller: Caller,
    read?: EventReader,
    options: { checked?: boolean; bytes?: number } = {},
  ): Promise<IngestOutcome> {
    if (caller.kind === 'invalid') return refuse(401, 'the write key is not valid for any source');
    const quota = this.charge(caller, items.length, options.bytes ?? 0);
    if (quota && !quota.ok)
      return {
        ...refuse(429, quota.error!),
        retryAfterSeconds: quota.retryAfterSeconds!,
        rateLimit: quota.headers,
      };
    const outcome = await this.take(items, caller, read, options);
    return quota ? { ...outcome, rateLimit: quota.headers } : outcome;
  }

  private async take(
    items: readonly BodyItem[],
    caller: Caller,
    read: EventReader | undefined,
    options: { checked?: boolean },
  ): Promise<IngestOutcome> {
    const receivedAt = Date.now();
    const events: NewEvent[] = [];
    const rejected: Rejection[] = [];
    const held: QuarantineInput[] = [];
    const hold = (
      item: BodyItem,
      source: string | undefined,
      reason: QuarantineReason,
      error: string,
      field?: string,
    ) => {
      if (!this.quarantine || this.gate?.mustNotKeep(item.value)) return;
      // What requests without a write key send is kept only up to a rate per source (AnonymousBound).
      if (caller.kind === 'anonymous' && !this.quarantine.admitAnonymous(source)) return;
      const raw = item.raw ?? rawText(item.value);
      const type =
        item.value && typeof item.value === 'object'
          ? (item.value as Record<string, unknown>).type
          : undefined;
      held.push({
        source: source ?? 'unknown',
        raw,
        reason,
        error,
        ...(field ? { field } : {}),
        ...(typeof type === 'string' ? { type } : {}),
      });
    };
    let foreign = 0;
    let quarantined = 0;
    const flagged: { source: string; ceSource: string; id: string; type: string; violations: string[] }[] =
      [];
    const steps = this.eventSteps(options.checked ?? false);
    // One reader per source for the whole request (a request names one source, but for an anonymous caller).
    let readerSource: string | undefined;
    let reader: EventReader | undefined = read;
    const reject = (
      item: BodyItem,
      source: string | undefined,
      field: string | undefined,
      error: string,
      reason: QuarantineReason,
    ) => {
      hold(item, source, reason, error, field);
      const id = idOf(item.value);
      rejected.push({
        index: item.index,
        ...(item.line ? { line: item.line } : {}),
        ...(id ? { id } : {}),
        ...(field ? { field } : {}),
        error,
      });
      this.counters.rejected(source ?? 'unknown', reason, 1);
    };
    for (const item of items) {
      if (item.error !== undefined) {
        rejected.push({ index: item.index, ...(item.line ? { line: item.line } : {}), error: item.error });
        this.counters.rejected(caller.kind === 'source' ? caller.source : 'unknown', 'unparseable', 1);
        hold(item, caller.kind === 'source' ? caller.source : undefined, 'unparseable', item.error);
        continue;
      }
      if (item.value === null || typeof item.value !== 'object' || Array.isArray(item.value)) {
        // Said before anything else: "source is required" would send the sender after the wrong fault.
        const error = `an event must be a JSON object, not ${describeJson(item.value)}`;
        rejected.push({ index: item.index, ...(item.line ? { line: item.line } : {}), error });
        const from = caller.kind === 'source' ? caller.source : 'unknown';
        this.counters.rejected(from, 'envelope', 1);
        hold(item, caller.kind === 'source' ? caller.source : undefined, 'envelope', error);
        continue;
      }
      // The write key decides the Panoramix source; the event's own `source` is its CloudEvents source,
      // kept as sent. Only an anonymous caller (an open source) names its Panoramix source in the event.
      const source = caller.kind === 'source' ? caller.source : sourceOf(item.value);
      if (source === undefined) {
        reject(
          item,
          source,
          'source',
          'source is required: name it in the event or send a write key',
          'envelope',
        );
        continue;
      }
      if (caller.kind === 'anonymous' && !this.keys.isOpen(source)) {
        if (!this.keys.isDeclared(source)) {
          reject(
            item,
            source,
            'source',
            `source "${source}" is not declared in the configuration (with a write key, any CloudEvents source is taken)`,
            'unknown_source',
          );
          continue;
        }
        return refuse(401, `a write key is required for source "${source}" (Authorization: Bearer KEY)`);
      }
      let result: ReturnType<EventReader>;
      try {
        if (read === undefined && source !== readerSource) {
          reader = this.readerFor(source);
          readerSource = source;
        }
        result = reader!(item.value, source, receivedAt);
      } catch (err) {
        // A reader's failure on one input refuses that input, never the request and its other events.
        reject(
          item,
          source,
          undefined,
          `could not be read as an event: ${(err as Error).message}`,
          'envelope',
        );
        continue;
      }
      if (!result.ok) {
        reject(item, source, result.field, result.error, 'envelope');
        continue;
      }
      const r = runSteps(steps, result.event);
      if (r.kind === 'reject') {
        const { reason } = r;
        if (reason === 'suppressed') {
          // Not held in quarantine: keeping the bytes would keep what the erasure removed.
          rejected.push({
            index: item.index,
            ...(item.line ? { line: item.line } : {}),
            id: result.event.id,
            field: r.field,
            error: r.error,
          });
          this.counters.rejected(source, 'suppressed', 1);
          continue;
        }
        if (reason === 'forbidden') foreign++;
        reject(item, source, r.field, r.error, reason);
        continue;
      }
      if (r.kind === 'quarantine') {
        hold(item, source, r.reason, r.error, r.field);
        this.counters.rejected(source, r.reason, 1);
        quarantined++;
        continue;
      }
      if (r.flagged)
        flagged.push({
          source,
          ceSource: ceSourceOf(r.event),
          id: r.event.id,
          type: r.event.type,
          violations: [...r.violations],
        });
      events.push(r.event);
    }
    // Kept before answering: what the client was told was refused is on record, with its bytes, for replay.
    if (held.length) await this.quarantine!.put(held);
    if (events.length === 0) {
      // Inputs held under a quarantine policy are not errors: a request of nothing else was handled (200).
      if (rejected.length === 0 && quarantined > 0)
        return { status: 200, accepted: 0, duplicates: 0, rejected, quarantined };
      const status = foreign > 0 && foreign === rejected.length ? 403 : 400;
      return {
        status,
        accepted: 0,
        duplicates: 0,
        rejected,
        ...(quarantined ? { quarantined } : {}),
        error: rejected[0]?.error ?? 'no events in the request',
      };
    }
    try {
      const result = await this.committer.submit(events);
      const bySource = new Map<string, number>();
      for (const e of events) bySource.set(e.source, (bySource.get(e.source) ?? 0) + 1);
      for (const [s, n] of bySource) this.counters.accepted(s, n);
      for (const e of events) this.counters.delayed(e.source, e.receivedAt - e.time);
      if (flagged.length && this.store) {
        const fresh = new Set(result.stored.map((e) => `${e.source}\u0000${e.ceSource}\u0000${e.id}`));
        await recordFlags(
          this.store,
          flagged.filter((f) => fresh.has(`${f.source}\u0000${f.ceSource}\u0000${f.id}`)),
        );
      }
      return {
        status: 200,
        accepted: events.length,
        duplicates: result.duplicates.length,
        rejected,
        quarantined,
      };
    } catch (err) {
      if (err instanceof QueueFullError) {
        return {
          status: 503,
          accepted: 0,
          duplicates: 0,
          rejected,
          error: err.message,
          retryAfterSeconds: 1,
        };
      }
      if (err instanceof SinkUnavailableError) {
        return {
          status: 503,
          accepted: 0,
          duplicates: 0,
          rejected,
          error: `${err.message}; retry them`,
          retryAfterSeconds: err.retryAfterSeconds,
        };
      }
      return {
        status: 503,
        accepted: 0,
        duplicates: 0,
        rejected,
        error: `events were not stored (the store failed: ${(err as Error).message}); retry them`,
        retryAfterSeconds: 5,
      };
    }
  }
}

export type { IngestOutcome, Rejection };
export { describeJson };
