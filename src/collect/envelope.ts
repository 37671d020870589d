import type { Mapping } from '../config/schema.js';
import type { NewEvent } from '../core/event.js';
import { eventTimeProblem, parseEventTime } from '../core/time.js';

/** Why one event was refused: the field and a sentence. */
export interface EventProblem {
  readonly field: string;
  readonly error: string;
}

/** The outcome of reading one input as an event: a value, never an exception. */
export type EnvelopeResult =
  | { readonly ok: true; readonly event: NewEvent }
  | ({ readonly ok: false } & EventProblem);

const MAX_ID = 512;
const MAX_TYPE = 256;
const MAX_SUBJECT = 512;
const CLOUDEVENT_ATTRIBUTES = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'data',
  'datacontenttype',
  'dataschema',
]);

/** Reads one input (a parsed JSON value) as an event of `source`, with the source's field mapping if any. */
export function toEvent(
  input: unknown,
  source: string,
  mapping: Mapping | undefined,
  receivedAt: number,
): EnvelopeResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return bad('', `an event must be a JSON object, not ${describeJson(input)}`);
  }
  const o = input as Record<string, unknown>;
  if (!mapping && o.specversion !== undefined && o.specversion !== '1.0') {
    return bad('specversion', `CloudEvents specversion must be "1.0", not ${JSON.stringify(o.specversion)}`);
  }
  const idField = mapping?.id ?? 'id';
  const typeField = mapping?.type ?? 'type';
  const subjectField = mapping?.subject ?? 'subject';
  const timeField = mapping?.time ?? 'time';

  const id = read(o, idField);
  if (id === undefined || id === null || id === '')
    return bad(idField, 'is required (the event id, unique per source)');
  if (typeof id !== 'string' && typeof id !== 'number')
    return bad(idField, `must be a string, not ${describeJson(id)}`);
  const idText = String(id);
  if (idText.length > MAX_ID)
    return bad(idField, `is ${idText.length} characters long; the limit is ${MAX_ID}`);

  const type = read(o, typeField);
  if (type === undefined || type === null || type === '')
    return bad(typeField, 'is required (the event type)');
  if (typeof type !== 'string') return bad(typeField, `must be a string, not ${describeJson(type)}`);
  if (type.length > MAX_TYPE)
    return bad(typeField, `is ${type.length} characters long; the limit is ${MAX_TYPE}`);

  const subjectValue = read(o, subjectField);
  let subject: string | null = null;
  if (subjectValue !== undefined && subjectValue !== null) {
    if (typeof subjectValue !== 'string' && typeof subjectValue !== 'number') {
      return bad(subjectField, `must be a string, not ${describeJson(subjectValue)}`);
    }
    subject = String(subjectValue);
    if (subject.length > MAX_SUBJECT)
      return bad(subjectField, `is ${subject.length} characters long; the limit is ${MAX_SUBJECT}`);
  }

  const timeValue = read(o, timeField);
  let time = receivedAt;
  if (timeValue !== undefined && timeValue !== null) {
    time = parseEventTime(timeValue);
    if (Number.isNaN(time)) return bad(timeField, eventTimeProblem(timeValue));
  }

  let data: unknown;
  if (mapping) {
    data = mapping.data ? read(o, mapping.data) : rest(o, [idField, typeField, subjectField, timeField]);
  } else {
    data = o.data;
    if (data === undefined) data = rest(o, [...CLOUDEVENT_ATTRIBUTES]);
  }
  let text: string;
  try {
    text = JSON.stringify(data ?? null);
  } catch (err) {
    // JSON.stringify recurses: a payload nested a few thousand levels deep exhausts the stack.
    if (err instanceof RangeError) return bad('data', 'is nested too deeply to store (thousands of levels)');
    throw err;
  }
  return { ok: true, event: { source, id: idText, type, subject, time, data: text, receivedAt } };
}

function read(o: Record<string, unknown>, field: string): unknown {
  if (!field.includes('.')) return o[field];
  let v: unknown = o;
  for (const part of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

// Extension attributes and unmapped fields are kept in data, so nothing the producer sent is lost.
function rest(o: Record<string, unknown>, taken: readonly string[]): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const k in o) {
    if (k === 'source' || taken.includes(k)) continue;
    out[k] = o[k];
    any = true;
  }
  return any ? out : null;
}

function bad(field: string, error: string): EnvelopeResult {
  return { ok: false, field, error: field ? `${field} ${error}` : error };
}

export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `the ${typeof v} ${String(v)}`;
}
