// Hive's escaping (FileUtils.escapePathName) plus the space, so `/`, `=`, `%` and spaces round-trip.
const SPECIAL = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^', ' ']);

/** The value Hive writes for a NULL partition value. */
export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** A partition value as a path segment: special characters as %XX (UTF-8 bytes), NULL as Hive's default. */
export function escapePartitionValue(v: unknown): string {
  if (v === null || v === undefined) return HIVE_NULL;
  const text = v instanceof Date ? v.toISOString() : String(v);
  let out = '';
  for (const ch of text) {
    if (SPECIAL.has(ch) || ch.charCodeAt(0) < 0x20)
      out += [...Buffer.from(ch, 'utf8')]
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
    else out += ch;
  }
  return out;
}

/** The inverse of escapePartitionValue. */
export function unescapePartitionValue(s: string): string | null {
  return s === HIVE_NULL ? null : decodeURIComponent(s);
}
