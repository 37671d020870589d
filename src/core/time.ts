// RFC 3339 with a zone, as CloudEvents requires; a date alone is accepted as midnight UTC.
const RFC3339 = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** Parses an event time (RFC 3339 text or epoch milliseconds); NaN when it is not one. */
export function parseEventTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value !== 'string' || !RFC3339.test(value)) return Number.NaN;
  // A timestamp without a zone is taken as UTC, never as the server's local time.
  const hasZone = /([Zz]|[+-]\d{2}:?\d{2})$/.test(value) && value.length > 10;
  const text = value.length === 10 ? `${value}T00:00:00Z` : hasZone ? value : `${value}Z`;
  return Date.parse(text.replace(' ', 'T'));
}

/** Parses a duration such as `15m`, `2h`, `10 minutes`, `2 hour`, `30s`, `7d` into milliseconds. */
export function parseDuration(text: string): number {
  const m =
    /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$/i.exec(
      text,
    );
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (unit === 'ms') return n;
  if (unit.startsWith('s')) return n * 1000;
  if (unit.startsWith('m')) return n * 60_000;
  if (unit.startsWith('h')) return n * 3_600_000;
  if (unit.startsWith('d')) return n * 86_400_000;
  return n * 604_800_000;
}
