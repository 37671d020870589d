import type { Config } from '../config/schema.js';
import type { NewEvent } from '../core/event.js';
import { eventTimeProblem, parseEventTime } from '../core/time.js';
import type { QuarantineReason } from '../quarantine/quarantine.js';
import type { TrackingPlan } from '../schemas/tracking-plan.js';
import type { EnvelopeResult } from './envelope.js';

/**
 * What one step says of an event: go on with it (`ok`, possibly changed), refuse it (`reject`: the sender is
 * told, and the input is held in quarantine, except an erased subject's: `suppressed`), hold it without an
 * error (`quarantine`, the tracking plan's policy), or take it with violations on record (`flag`).
 */
export type StepResult =
  /** `event` only when the step changed it: passing an event on unchanged allocates nothing. */
  | { readonly kind: 'ok'; readonly event?: NewEvent }
  | {
      readonly kind: 'reject';
      /** The reason counted and kept: a quarantine reason, or `suppressed` (an erased subject: never kept). */
      readonly reason: QuarantineReason | 'suppressed';
      readonly field: string;
      readonly error: string;
    }
  | {
      readonly kind: 'quarantine';
      readonly reason: QuarantineReason;
      readonly field: string;
      readonly error: string;
    }
  | { readonly kind: 'flag'; readonly event: NewEvent; readonly violations: readonly string[] };

const NONE: readonly string[] = [];
// The event goes on unchanged.
const PASS: StepResult = { kind: 'ok' };

/** A named check of an event read from an input, in the order of a list (ingestSteps). */
export interface IngestStep {
  readonly name: string;
  run(event: NewEvent): StepResult;
}

/** The end of a list of steps: the first that did not pass, or the event with what was flagged on the way. */
export type StepsResult =
  | {
      readonly kind: 'ok';
      readonly event: NewEvent;
      /** Whether a step flagged it, and with what. */
      readonly flagged: boolean;
      readonly violations: readonly string[];
    }
  | Exclude<StepResult, { kind: 'ok' } | { kind: 'flag' }>;

/** Runs steps in order until one refuses or holds the event. */
export function runSteps(steps: readonly IngestStep[], event: NewEvent): StepsResult {
  let e = event;
  let violations: string[] | undefined;
  for (const step of steps) {
    const r = step.run(e);
    if (r.kind === 'reject' || r.kind === 'quarantine') return r;
    if (r.kind === 'flag') violations = [...(violations ?? []), ...r.violations];
    if (r.event) e = r.event;
  }
  return { kind: 'ok', event: e, flagged: violations !== undefined, violations: violations ?? NONE };
}

/**
 * The event's CloudEvents source must be one its Panoramix source accepts (cloudevents.sources, a list of URI
 * prefixes); an event naming none (or the Panoramix source's own name) is the source's own.
 */
export function cloudEventsSourceStep(config: Config): IngestStep {
  return {
    name: 'cloudevents source',
    run(e) {
      const error = foreignCeSource(config, e);
      return error ? { kind: 'reject', reason: 'forbidden', field: 'source', error } : PASS;
    },
  };
}

/** Why an event's CloudEvents source is not one its Panoramix source accepts, or undefined when it is. */
export function foreignCeSource(config: Config, e: NewEvent): string | undefined {
  if (e.ceSource === undefined || e.ceSource === e.source) return undefined;
  const prefixes = config.sources[e.source]?.cloudevents?.sources;
  if (!prefixes) return undefined;
  const ce = e.ceSource;
  if (prefixes.some((p) => ce.startsWith(p))) return undefined;
  return `source "${ce}" is not one source "${e.source}" accepts (cloudevents.sources: ${prefixes.map((p) => JSON.stringify(p)).join(', ')})`;
}

/** The contract of the event's type, when a feature registered one (matching's transactions). */
export function contractStep(contracts: ReadonlyMap<string, (e: NewEvent) => EnvelopeResult>): IngestStep {
  return {
    name: 'type contract',
    run(e) {
      const contract = contracts.get(e.type);
      if (!contract) return PASS;
      const r = contract(e);
      return r.ok
        ? { kind: 'ok', event: r.event }
        : { kind: 'reject', reason: 'schema', field: r.field, error: r.error };
    },
  };
}

/**
 * The last word on an event's time, whichever reader made it: a time the stores cannot hold (NaN, or outside
 * the years 0001–9999) fails the write of every event committed with it, so it is refused here, alone.
 */
export function storableTimeStep(): IngestStep {
  return {
    name: 'storable time',
    run(e) {
      if (!Number.isNaN(parseEventTime(e.time))) return PASS;
      return {
        kind: 'reject',
        reason: 'envelope',
        field: 'time',
        error: `time ${eventTimeProblem(e.time)}`,
      };
    },
  };
}

/** An erased subject's event is refused, and not held: keeping its bytes would keep what the erasure removed. */
export function erasureStep(refusal: (e: NewEvent) => string | null): IngestStep {
  return {
    name: 'erasure',
    run(e) {
      const error = refusal(e);
      return error ? { kind: 'reject', reason: 'suppressed', field: 'subject', error } : PASS;
    },
  };
}

/** The tracking plan's verdict on the event's data (only when the plan has schemas). */
export function trackingPlanStep(plan: TrackingPlan): IngestStep {
  return {
    name: 'tracking plan',
    run(e) {
      const v = plan.check(e);
      if (v.action === 'accept') return PASS;
      if (v.action === 'flag') return { kind: 'flag', event: e, violations: v.violations };
      if (v.action === 'quarantine')
        return { kind: 'quarantine', reason: v.reason, field: v.field, error: v.error };
      return { kind: 'reject', reason: v.reason, field: v.field, error: v.error };
    },
  };
}
