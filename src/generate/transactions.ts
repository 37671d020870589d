import type { Generator } from './generator.js';
import { Random } from './random.js';

/** The reference data and shape of a generated loyalty programme. */
export interface LoyaltyWorld {
  readonly providers: readonly string[];
  readonly schemes: readonly string[];
  /** Merchant identifiers: identifier, id_type, provider, scheme, location. */
  readonly merchants: readonly {
    identifier: string;
    id_type: string;
    provider: string;
    scheme: string;
    location: string;
  }[];
}

/** A generated transaction, in our field names, with the purchase it belongs to (the ground truth). */
export interface GeneratedTransaction {
  readonly side: 'payment' | 'scheme';
  /** The provider (payment side) or scheme (scheme side). */
  readonly owner: string;
  readonly record: Record<string, string>;
  /** The purchase both sides of a true pair share; decoys and strays have their own. */
  readonly purchase: number;
}

export interface TransactionOptions {
  readonly count: number;
  readonly seed: number;
  /** Epoch ms of the first day. */
  readonly start: number;
  /** Days the purchases spread over. */
  readonly days?: number;
  /** Share of purchases with both sides (the rest have only one). */
  readonly paired?: number;
  /** Share of purchases that get a decoy: an equal amount at the same merchant, close in time, another card. */
  readonly decoys?: number;
}

const PROVIDERS = ['visa', 'mastercard', 'amex'] as const;
const SCHEMES = ['iceland', 'wasabi'] as const;
// Few distinct prices, so equal amounts at one merchant are common: the rules have to earn the match.
const PRICES = [1.99, 2.5, 3.49, 4.99, 5, 7.5, 9.99, 10, 12.5, 15, 19.99, 20, 25, 49.99];
const LOCATIONS = ['London', 'Leeds', 'Bristol', 'Glasgow', 'Cardiff', 'Belfast', 'York', 'Bath'];

/** The merchants of a world of `count` purchases (one per 200 purchases, at least 20). */
export function loyaltyWorld(count: number, seed: number): LoyaltyWorld {
  const rnd = new Random(seed ^ 0x5eed);
  const n = Math.max(20, Math.round(count / 200));
  const merchants = Array.from({ length: n }, (_, i) => ({
    identifier: `${10_000_000 + i}`,
    id_type: 'primary',
    provider: PROVIDERS[i % PROVIDERS.length]!,
    scheme: SCHEMES[i % SCHEMES.length]!,
    location: rnd.pick(LOCATIONS),
  }));
  return { providers: PROVIDERS, schemes: SCHEMES, merchants };
}

/**
 * Purchases at the world's merchants: a payment-provider record and a scheme record for most (the scheme's
 * clock off by up to ±20 s, an auth code missing now and then), one side only for the rest, and decoys. Amex
 * sends dates without times, so its purchases match by the same-day rule. Reproducible from the seed.
 */
export function* generateTransactions(o: TransactionOptions): IterableIterator<GeneratedTransaction> {
  const rnd = new Random(o.seed);
  const world = loyaltyWorld(o.count, o.seed);
  const days = o.days ?? 7;
  const paired = o.paired ?? 0.9;
  const decoys = o.decoys ?? 0.05;
  let purchase = 0;
  const card = () => ({
    first_six: String(rnd.int(400000, 559999)),
    last_four: String(rnd.int(0, 9999)).padStart(4, '0'),
  });
  const make = (m: (typeof world.merchants)[number], at: number, amount: number) => {
    const id = purchase++;
    const c = card();
    const dateOnly = m.provider === 'amex';
    const payment: GeneratedTransaction = {
      side: 'payment',
      owner: m.provider,
      purchase: id,
      record: {
        transaction_id: `p${id}`,
        feed_type: 'settled',
        merchant_id: m.identifier,
        settlement_key: `sk${id}`,
        ...(dateOnly ? { date: iso(at).slice(0, 10) } : { time: iso(at) }),
        amount: amount.toFixed(2),
        currency: 'GBP',
        card_token: `tok${rnd.hex(10)}`,
        ...c,
        auth_code: String(rnd.int(100000, 999999)),
        approval_code: String(rnd.int(10, 99)),
      },
    };
    const skew = rnd.int(-20, 20) * 1000;
    const scheme: GeneratedTransaction = {
      side: 'scheme',
      owner: m.scheme,
      purchase: id,
      record: {
        transaction_id: `s${id}`,
        merchant_ids: m.identifier,
        time: iso(at + skew),
        amount: amount.toFixed(2),
        currency: 'GBP',
        ...c,
        auth_code: rnd.chance(0.95) ? (payment.record.auth_code as string) : '',
      },
    };
    return { payment, scheme };
  };
  for (let i = 0; i < o.count; i++) {
    const m = world.merchants[rnd.int(0, world.merchants.length - 1)]!;
    const at = o.start + Math.floor(rnd.next() * days * 86_400_000);
    const amount = rnd.pick(PRICES);
    const { payment, scheme } = make(m, at, amount);
    const r = rnd.next();
    if (r < paired) {
      yield payment;
      yield scheme;
    } else if (r < paired + (1 - paired) / 2) yield payment;
    else yield scheme;
    if (rnd.chance(decoys)) {
      // Another purchase at the same merchant and price, moments later, on another card.
      const d = make(m, at + rnd.int(1, 40) * 1000, amount);
      const r2 = rnd.next();
      if (r2 < 0.5) {
        yield d.payment;
        yield d.scheme;
      } else if (r2 < 0.75) yield d.payment;
      else yield d.scheme;
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** `panoramix generate transactions`: the transactions as events for the event API. */
export const transactionsGenerator: Generator = {
  name: 'transactions',
  description: 'payment-provider and loyalty-scheme transactions (about 90% with a partner, decoys)',
  *generate(o) {
    for (const t of generateTransactions(o)) {
      const record = t.side === 'scheme' ? { ...t.record, merchant_ids: [t.record.merchant_ids] } : t.record;
      yield {
        id:
          t.side === 'payment'
            ? `${t.owner}/settled/${t.record.transaction_id}`
            : `${t.owner}/${t.record.transaction_id}`,
        source: 'matching',
        type: t.side === 'payment' ? 'payment_transaction' : 'scheme_transaction',
        subject: t.record.transaction_id,
        time: `${t.record.time ?? `${t.record.date}T00:00:00`}Z`,
        data: { [t.side === 'payment' ? 'provider' : 'scheme']: t.owner, ...record },
      };
    }
  },
};
