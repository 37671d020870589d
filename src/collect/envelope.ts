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
const MAX_CE_SOURCE = 2048;
// The attributes with a place in the envelope; every other one (datacontenttype, dataschema, extensions
// such as traceparent or partitionkey) is kept in ceAttributes.
const ENVELOPE_ATTRIBUTES = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'data', 'data_base64'];
// What the loose envelope's payload leaves out: made once, not per event.
const LOOSE_TAKEN = [...ENVELOPE_ATTRIBUTES, 'datacontenttype', 'dataschema'];

/**
 * Reads one input (a parsed JSON value) as an event of the Panoramix `source`, with the source's field
 * mapping if any. Without a mapping the input is a CloudEvent: its own `source` attribute (any URI-reference)
 * is kept as ceSource; it does not decide the Panoramix source, which the caller already knows.
 */
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

  let ceSource: string | undefined;
  if (!mapping && o.source !== undefined && o.source !== null) {
    if (typeof o.source !== 'string') return bad('source', `must be a string, not ${describeJson(o.source)}`);
    if (o.source === '') return bad('source', 'must not be empty (a URI-reference such as /orders)');
    if (o.source.length > MAX_CE_SOURCE)
      return bad('source', `is ${o.source.length} characters long; the limit is ${MAX_CE_SOURCE}`);
    ceSource = o.source;
  }

  const timeValue = read(o, timeField);
  let time = receivedAt;
  if (timeValue !== undefined && timeValue !== null) {
    time = parseEventTime(timeValue);
    if (Number.isNaN(time)) return bad(timeField, eventTimeProblem(timeValue));
  }

  let data: unknown;
  let attributes: Record<string, unknown> | null = null;
  if (mapping) {
    data = mapping.data ? read(o, mapping.data) : rest(o, [idField, typeField, subjectField, timeField]);
  } else if (o.data === undefined && o.data_base64 === undefined && o.specversion === undefined) {
    // Panoramix's loose envelope (no specversion, no data): every other field is the payload.
    data = rest(o, LOOSE_TAKEN);
  } else {
    attributes = rest(o, ENVELOPE_ATTRIBUTES);
    if (o.data_base64 !== undefined) {
      if (typeof o.data_base64 !== 'string')
        return bad('data_base64', `must be a string, not ${describeJson(o.data_base64)}`);
      const decoded = dataOfBytes(Buffer.from(o.data_base64, 'base64'), attributes?.datacontenttype);
      if (!decoded.ok) return bad('data_base64', decoded.error);
      data = decoded.value;
    } else data = o.data;
  }
  let text: string;
  let attributesText: string | undefined;
  try {
    text = JSON.stringify(data ?? null);
    if (attributes) attributesText = JSON.stringify(attributes);
  } catch (err) {
    // JSON.stringify recurses: a payload nested a few thousand levels deep exhausts the stack.
    if (err instanceof RangeError) return bad('data', 'is nested too deeply to store (thousands of levels)');
    throw err;
  }
  // Built in one shape, optional attributes added only when present (no spread of temporary objects: this
  // runs once per event on the ingest path).
  const event: { -readonly [K in keyof NewEvent]: NewEvent[K] } = {
    source,
    id: idText,
    type,
    subject,
    time,
    data: text,
    receivedAt,
  };
  if (ceSource !== undefined) event.ceSource = ceSource;
  if (attributesText !== undefined) event.ceAttributes = attributesText;
  return { ok: true, event };
}

/**
 * The `data` of bytes sent with a content type (a binary-mode body, or data_base64): parsed when the type
 * is JSON, text when it is textual (text/*, XML, forms) and valid UTF-8, base64 text otherwise (the form
 * CloudEvents' JSON format gives binary data). No content type: JSON, as CloudEvents' JSON format assumes.
 */
export function dataOfBytes(
  bytes: Buffer,
  contentType: unknown,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const base = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '';
  if (bytes.length === 0) return { ok: true, value: null };
  if (base === '' || base === 'application/json' || base === 'text/json' || base.endsWith('+json')) {
    try {
      return { ok: true, value: JSON.parse(utf8.decode(bytes)) };
    } catch (err) {
      return {
        ok: false,
        error: `is not valid JSON (${base || 'no content type'}): ${(err as Error).message}`,
      };
    }
  }
  if (
    base.startsWith('text/') ||
    base.endsWith('/xml') ||
    base.endsWith('+xml') ||
    base === 'application/x-www-form-urlencoded'
  ) {
    try {
      return { ok: true, value: utf8.decode(bytes) };
    } catch {
      // Not UTF-8 after all: kept exactly, as base64.
    }
  }
  return { ok: true, value: bytes.toString('base64') };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function read(o: Record<string, unknown>, field: string): unknown {
  if (!field.includes('.')) return o[field];
  let v: unknown = o;
  for (const part of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

// Unmapped fields (kept in data) and extension attributes (kept in ceAttributes): nothing sent is lost.
function rest(o: Record<string, unknown>, taken: readonly string[]): Record<string, unknown> | null {
  let out: Record<string, unknown> | null = null;
  for (const k in o) {
    if (k === 'source' || taken.includes(k)) continue;
    out ??= {};
    out[k] = o[k];
  }
  return out;
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
