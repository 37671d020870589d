import { pino } from 'pino';
import { createRuntime } from '../../src/compose.js';
import { parseConfig } from '../../src/config/load.js';
import { type Matching, matchingOf } from '../../src/match/service.js';
import type { Runtime } from '../../src/runtime.js';
import { createApp } from '../../src/serve/app.js';
import { runtimeFactories } from './runtimes.js';
import { serviceUrl } from './services.js';

// What the matching tests share: a project with a matching section, its stores, and transaction rows.
export const KEY = 'Bearer wk_match_test_key';
/** Passes, re-match, force-match, export retries and deletions take the admin scope. */
export const ADMIN = 'Bearer at_match_test_admin';
export const MATCHING = (extra = '') => `
server: { adminTokens: [at_match_test_admin] }
sources:
  matching: { writeKeys: [wk_match_test_key] }
matching:
  providers:
    visa: { columns: { transaction_id: "Transaction ID", merchant_id: "MID", amount: "Amount" } }
    amex: {}
  schemes:
    iceland: { rules: [auth_code, card, time], window: 60s }
    spotted: { spotting: true }
  unmatchedAfter: 3d
  export: { dir: ./exports, backoff: 1s, maxAttempts: 3 }
${extra}`;

/**
 * The setups the suite runs on: DuckDB exporting to files; DuckDB exporting through the real RabbitMQ (when its
 * URL is set); PostgreSQL (when its URL is set).
 */
export function engines(): { name: string; store: (dir: string) => string; rabbitmq?: string }[] {
  const [duckdb, ...others] = runtimeFactories();
  const list: { name: string; store: (dir: string) => string; rabbitmq?: string }[] = [
    { name: 'duckdb', store: (dir) => duckdb!.storeYaml(dir) },
  ];
  const rabbit = serviceUrl('rabbitmq');
  if (rabbit) list.push({ name: 'duckdb, RabbitMQ', store: list[0]!.store, rabbitmq: rabbit });
  for (const f of others) list.push({ name: f.name, store: (dir) => f.storeYaml(dir) });
  return list;
}

export async function open(storeYaml: string, dir: string, extra = '') {
  const config = parseConfig(`${storeYaml}\n${MATCHING(extra)}`);
  const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
  const app = await createApp(runtime);
  const m = (await matchingOf(runtime))!;
  return { runtime, app, m };
}

/** A payment transaction's row id and status, by its transaction id. */
export async function paymentOf(runtime: Runtime, transactionId: string) {
  const r = await runtime.store.query('SELECT id, status FROM match_payments WHERE transaction_id = $1', [
    transactionId,
  ]);
  return r[0] ? { id: Number(r[0].id), status: String(r[0].status) } : undefined;
}

/** What the services do after a commit, at once: fold what was stored, then one matching pass. */
export async function matchStep(runtime: Runtime, m: Matching, now?: Date) {
  await runtime.committer.drain();
  await m.folder.fold();
  return m.matcher.pass(now ? { now } : {});
}

export const PAY_HEADER = 'Transaction ID,feed_type,MID,time,Amount,currency,first_six,last_four,auth_code';
export const pay = (id: string, mid: string, time: string, amount: string, auth = '111111', last4 = '4242') =>
  [id, 'settled', mid, time, amount, 'GBP', '424242', last4, auth].join(',');
export const scheme = (
  id: string,
  mids: string[],
  time: string,
  amount: string,
  auth: string | null = '111111',
  last4 = '4242',
) => ({
  transaction_id: id,
  merchant_ids: mids,
  time,
  amount,
  currency: 'GBP',
  first_six: '424242',
  last_four: last4,
  ...(auth ? { auth_code: auth } : {}),
});
