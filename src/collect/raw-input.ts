// What an input that could not be read as an event is still known by: its text for the quarantine, and the
// source and id it names, if any.

// The input as JSON text for the quarantine; a value too deeply nested for JSON.stringify is described instead.
export function rawText(v: unknown): string {
  try {
    return JSON.stringify(v ?? null);
  } catch (err) {
    if (err instanceof RangeError) return '"(not kept: nested too deeply to serialize)"';
    throw err;
  }
}

/** The `source` an input names, when it names one. */
export function sourceOf(v: unknown): string | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const s = (v as Record<string, unknown>).source;
    if (typeof s === 'string' && s !== '') return s;
  }
  return undefined;
}

/** The `id` an input names, when it names one. */
export function idOf(v: unknown): string | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const id = (v as Record<string, unknown>).id;
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  }
  return undefined;
}
