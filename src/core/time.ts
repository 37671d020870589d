// RFC 3339 with a zone, as CloudEvents requires; a date alone is accepted as midnight UTC.
const RFC3339 = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

// Years 0001 to 9999: what both stores and the month partitions' names hold (PostgreSQL stops at 4713 BC,
// a JavaScript Date at ±275760, and an out-of-range time failed the whole commit it was in).
const MIN_EVENT_TIME = Date.parse('0001-01-01T00:00:00Z');
const MAX_EVENT_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** Parses an event time (RFC 3339 text or epoch milliseconds); NaN when it is not one, or out of range. */
export function parseEventTime(value: unknown): number {
  const t = parseTime(value);
  return t >= MIN_EVENT_TIME && t <= MAX_EVENT_TIME ? t : Number.NaN;
}

/** Why a value is not an event time, for an error that says `<field> must be …`. */
export function eventTimeProblem(value: unknown): string {
  const t = parseTime(value);
  if (typeof value === 'number' && !Number.isFinite(value))
    return `must be an RFC 3339 timestamp or epoch milliseconds, not ${value}`;
  if (Number.isNaN(t))
    return `must be an RFC 3339 timestamp such as 2026-11-24T10:00:00Z, not ${JSON.stringify(value)}`;
  const shown = typeof value === 'number' ? `${value} (epoch milliseconds)` : JSON.stringify(value);
  return `must be between the years 0001 and 9999, not ${shown}`;
}

function parseTime(value: unknown): number {
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
