import type { NewEvent } from './event.js';

/**
 * An event as every store can keep it. JavaScript strings may hold what UTF-8 text and JSON documents cannot:
 * a lone surrogate (from a `"\ud800"` escape in a request body) or a NUL character, which PostgreSQL refuses
 * in text and JSONB. Either one used to fail the whole commit, and with it the neighbours' good events; each
 * becomes U+FFFD instead, the way any UTF-8 encoder treats a lone surrogate, and the same on every engine.
 * The clean case (nearly all events) costs a few native scans and returns the event itself.
 */
export function storable(e: NewEvent): NewEvent {
  if (
    cleanText(e.source) &&
    (e.ceSource === undefined || cleanText(e.ceSource)) &&
    (e.ceAttributes === undefined || e.ceAttributes === null || cleanJson(e.ceAttributes)) &&
    cleanText(e.id) &&
    cleanText(e.type) &&
    (e.subject === null || cleanText(e.subject)) &&
    cleanJson(e.data)
  )
    return e;
  return {
    ...e,
    source: storableText(e.source),
    ...(e.ceSource !== undefined ? { ceSource: storableText(e.ceSource) } : {}),
    ...(e.ceAttributes ? { ceAttributes: storableJson(e.ceAttributes) } : {}),
    id: storableText(e.id),
    type: storableText(e.type),
    subject: e.subject === null ? null : storableText(e.subject),
    data: storableJson(e.data),
  };
}

function storableJson(text: string): string {
  return cleanJson(text) ? text : JSON.stringify(storableValue(JSON.parse(text)));
}

export function storableText(s: string): string {
  const w = s as unknown as WellFormedString;
  const formed = w.isWellFormed() ? s : w.toWellFormed();
  return formed.includes('\u0000') ? formed.replaceAll('\u0000', '\ufffd') : formed;
}

function cleanText(s: string): boolean {
  return (s as unknown as WellFormedString).isWellFormed() && !s.includes('\u0000');
}

// Suspect JSON text: raw characters the text checks refuse, or a \u escape of a surrogate or of NUL. (An
// escaped backslash followed by "ud800" also matches; re-serializing it changes nothing but the spelling.)
function cleanJson(text: string): boolean {
  return cleanText(text) && !(text.includes('\\u') && /\\u(?:[dD][89a-fA-F]|0000)/.test(text));
}

function storableValue(v: unknown): unknown {
  if (typeof v === 'string') return storableText(v);
  if (Array.isArray(v)) return v.map(storableValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[storableText(k)] = storableValue(x);
    return out;
  }
  return v;
}

// ES2024 string methods, in Node since 20 (the project's TypeScript lib stays at the Node 20 common subset).
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
