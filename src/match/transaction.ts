import type { EventProblem } from '../collect/envelope.js';
import type { NewEvent } from '../core/event.js';
import type { MatchingConfig } from './config.js';

/** Which side of a purchase a transaction is from. */
export type Side = 'payment' | 'scheme';
export const SIDES: readonly Side[] = ['payment', 'scheme'];
/** The event types transactions are stored as. */
export const EVENT_TYPES: Readonly<Record<Side, string>> = {
  payment: 'payment_transaction',
  scheme: 'scheme_transaction',
};
export const FEED_TYPES = ['auth', 'settled', 'refund'] as const;

/** A transaction in our own field names, validated: what an event's data holds. */
export interface TransactionFields {
  /** The payment provider (payment side) or loyalty scheme (scheme side) slug. */
  readonly provider?: string;
  readonly scheme?: string;
  readonly transaction_id: string;
  readonly feed_type?: string;
  readonly merchant_id?: string;
  readonly merchant_ids?: string[];
  readonly settlement_key?: string | null;
  /** Local wall-clock time, YYYY-MM-DDTHH:MM:SS (midnight when only the date is known). */
  readonly time: string;
  readonly has_time: boolean;
  /** Decimal text, at most 3 places. */
  readonly amount: string;
  readonly currency: string;
  readonly card_token?: string | null;
  readonly first_six?: string | null;
  readonly last_four?: string | null;
  readonly auth_code?: string | null;
  readonly approval_code?: string | null;
}

export type Normalized = { ok: true; fields: TransactionFields } | ({ ok: false } & EventProblem);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;
const AMOUNT = /^-?\d{1,15}(\.\d{1,3})?$/;

/**
 * Reads a record (a CSV row or a JSON object, in the file's own column names) as a transaction of `slug`:
 * columns are renamed by the provider's or scheme's mapping, then every field is checked, so a bad row is
 * refused with the field and the reason, never half-stored.
 */
export function normalizeRecord(
  side: Side,
  slug: string,
  record: Record<string, unknown>,
  config: MatchingConfig | undefined,
): Normalized {
  const columns =
    (side === 'payment' ? config?.providers[slug]?.columns : config?.schemes[slug]?.columns) ?? {};
  const get = (field: string): unknown => record[columns[field] ?? field];
  const text = (field: string): string | null => {
    const v = get(field);
    if (v === undefined || v === null) return null;
    const s = String(v).trim();
    return s === '' ? null : s;
  };
  const bad = (field: string, error: string): Normalized => ({
    ok: false,
    field: columns[field] ?? field,
    error,
  });

  const transactionId = text('transaction_id');
  if (!transactionId) return bad('transaction_id', 'transaction_id is required');
  if (transactionId.length > 200)
    return bad('transaction_id', 'transaction_id is longer than 200 characters');

  const when = readTime(text('time'), text('date'), get('has_time'));
  if (!when.ok) return bad(when.field, when.error);

  const amountText = text('amount');
  if (!amountText) return bad('amount', 'amount is required');
  const amount = amountText.replace(/^\+/, '');
  if (!AMOUNT.test(amount))
    return bad('amount', `amount "${amountText}" is not a decimal number such as 12.50`);

  const currency = text('currency')?.toUpperCase();
  if (!currency || !/^[A-Z]{3}$/.test(currency))
    return bad(
      'currency',
      `currency is required: a three-letter ISO 4217 code, not "${text('currency') ?? ''}"`,
    );

  const firstSix = text('first_six');
  if (firstSix !== null && !/^\d{6}$/.test(firstSix)) return bad('first_six', 'first_six must be 6 digits');
  const lastFour = text('last_four');
  if (lastFour !== null && !/^\d{4}$/.test(lastFour)) return bad('last_four', 'last_four must be 4 digits');

  const common = {
    transaction_id: transactionId,
    time: when.time,
    has_time: when.hasTime,
    amount: canonicalAmount(amount),
    currency,
    card_token: text('card_token'),
    first_six: firstSix,
    last_four: lastFour,
    auth_code: text('auth_code'),
  };
  if (side === 'payment') {
    const feed = (text('feed_type') ?? config?.providers[slug]?.feed ?? 'settled').toLowerCase();
    if (!(FEED_TYPES as readonly string[]).includes(feed))
      return bad('feed_type', `feed_type "${feed}" is not one of ${FEED_TYPES.join(', ')}`);
    const merchantId = text('merchant_id');
    if (!merchantId) return bad('merchant_id', 'merchant_id is required');
    return {
      ok: true,
      fields: {
        provider: slug,
        ...common,
        feed_type: feed,
        merchant_id: merchantId,
        settlement_key: text('settlement_key'),
        approval_code: text('approval_code'),
      },
    };
  }
  const mids = readMerchantIds(get('merchant_ids') ?? get('merchant_id'));
  if (mids.length === 0) return bad('merchant_ids', 'merchant_ids is required: one or more merchant ids');
  return { ok: true, fields: { scheme: slug, ...common, merchant_ids: mids } };
}

/** The event a transaction is stored as: its id makes a re-import of the same transaction a duplicate. */
export function transactionEvent(
  side: Side,
  fields: TransactionFields,
  source: string,
  matchGroup: string,
  raw: unknown,
  receivedAt: number,
): NewEvent {
  const owner = side === 'payment' ? fields.provider : fields.scheme;
  const id =
    side === 'payment'
      ? `${owner}/${fields.feed_type}/${fields.transaction_id}`
      : `${owner}/${fields.transaction_id}`;
  return {
    source,
    id,
    type: EVENT_TYPES[side],
    subject: fields.transaction_id,
    time: Date.parse(`${fields.time}Z`),
    data: JSON.stringify({ ...fields, match_group: matchGroup, raw }),
    receivedAt,
  };
}

/**
 * Checks a transaction event sent through the event API (data in our field names, with `provider` or
 * `scheme`), and rewrites its data in the canonical form the matching tables are folded from.
 */
export function checkTransactionEvent(
  side: Side,
  event: NewEvent,
  config: MatchingConfig,
): { ok: true; event: NewEvent } | ({ ok: false } & EventProblem) {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    return { ok: false, field: 'data', error: 'data must be a JSON object' };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data))
    return { ok: false, field: 'data', error: `a ${event.type} event's data must be a JSON object` };
  const d = data as Record<string, unknown>;
  const owner = side === 'payment' ? d.provider : d.scheme;
  if (typeof owner !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(owner))
    return {
      ok: false,
      field: `data.${side === 'payment' ? 'provider' : 'scheme'}`,
      error: `${side === 'payment' ? 'provider' : 'scheme'} is required: a slug`,
    };
  // Event API records are already in our field names: no column mapping applies.
  const r = normalizeRecord(side, owner, d, { ...config, providers: {}, schemes: {} });
  if (!r.ok) return { ok: false, field: `data.${r.field}`, error: r.error };
  const group = typeof d.match_group === 'string' && d.match_group ? d.match_group : `events-${event.source}`;
  return {
    ok: true,
    event: { ...event, data: JSON.stringify({ ...r.fields, match_group: group, raw: d.raw ?? d }) },
  };
}

function readTime(
  time: string | null,
  date: string | null,
  hasTime: unknown,
): { ok: true; time: string; hasTime: boolean } | { ok: false; field: string; error: string } {
  const value = time ?? date;
  if (!value) return { ok: false, field: 'date', error: 'date (or time) is required' };
  const explicit = hasTime === undefined || hasTime === null || hasTime === '' ? undefined : truthy(hasTime);
  const d = DATE.exec(value);
  if (d) {
    if (!validDate(value))
      return { ok: false, field: time ? 'time' : 'date', error: `"${value}" is not a date` };
    return { ok: true, time: `${value}T00:00:00`, hasTime: false };
  }
  const m = DATE_TIME.exec(value);
  if (!m || !validDate(m[1]!) || !validClock(m[2]!))
    return {
      ok: false,
      field: time ? 'time' : 'date',
      error: `"${value}" is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM:SS)`,
    };
  let iso = `${m[1]}T${m[2]!.length === 5 ? `${m[2]}:00` : m[2]}`;
  if (m[3]) {
    // A zoned time is kept as UTC wall-clock time.
    const ms = Date.parse(`${iso}${m[3] === 'Z' ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
    if (Number.isNaN(ms)) return { ok: false, field: 'time', error: `"${value}" is not a time` };
    iso = new Date(ms).toISOString().slice(0, 19);
  }
  return { ok: true, time: iso, hasTime: explicit ?? true };
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(ymd: string): boolean {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(5, 7));
  const d = Number(ymd.slice(8, 10));
  // Year 0000 is not an event time (the stores hold 0001 to 9999).
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > DAYS_IN_MONTH[m - 1]!) return false;
  return m !== 2 || d < 29 || (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
}

// HH:MM or HH:MM:SS on a 24-hour clock: 25:00 or 10:61 became a time of NaN, which failed the whole commit.
function validClock(hms: string): boolean {
  const [h, m, sec = 0] = hms.split(':').map(Number) as [number, number, number?];
  return h <= 23 && m <= 59 && sec <= 59;
}

function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return /^(1|true|yes|y)$/i.test(String(v).trim());
}

function canonicalAmount(a: string): string {
  const neg = a.startsWith('-');
  const [int, frac = ''] = (neg ? a.slice(1) : a).split('.');
  const digits = `${BigInt(int!)}.${frac.padEnd(2, '0')}`;
  return neg && !/^0\.0*$/.test(digits) ? `-${digits}` : digits;
}

function readMerchantIds(v: unknown): string[] {
  const list = Array.isArray(v)
    ? v.map(String)
    : typeof v === 'string' || typeof v === 'number'
      ? String(v).split(/[;,|]/)
      : [];
  return [...new Set(list.map((s) => s.trim()).filter(Boolean))];
}
