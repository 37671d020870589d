// npm run bench -- matching [--count 1013000] [--runs 3] [--seed 1] [--quick]
// About 1M payment and 1M scheme transactions from the loyalty generator (~90% with a true partner, the
// scheme's clock off by up to ±20 s, decoys: equal amounts at the same merchant moments later), imported and
// folded into the matching tables, then matched by the matcher's pass: its time, matches/s, and precision and
// recall against the generator's ground truth (a true pair is a payment and a scheme transaction of the same
// purchase). Next to it, in the same run and the same store: a plain SQL join on merchant, amount and time
// window that keeps each payment's nearest candidate (no rules, not 1:1), with its own precision and recall.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { generateTransactions, loyaltyWorld } from '../src/generate/transactions.js';
import type { FileRecord } from '../src/match/parse-records.js';
import { matchingOf } from '../src/match/service.js';
import type { Side } from '../src/match/transaction.js';
import { opt, quick } from './_args.js';
import { fmt, median, printComparison } from './_report.js';

// ~0.988 payment and ~0.988 scheme transactions per purchase: 1,013,000 purchases give ≈1M a side.
const count = opt('count', quick ? 50_000 : 1_013_000);
const runs = opt('runs', quick ? 1 : 3);
const seed = opt('seed', 1);
const CHUNK = 100_000; // records per import call, per provider or scheme: bounds what is held in memory
const WINDOW_SECONDS = 60; // the schemes' default window, for the baseline join

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'panoramix-bench-'));
const config = parseConfig(`
store: { path: ${path.join(dir, 'bench.duckdb')} }
matching:
  providers: { visa: {}, mastercard: {}, amex: {} }
  schemes: { iceland: {}, wasabi: {} }
`);
const runtime = await createRuntime(config, dir, pino({ level: 'silent' }));
const m = (await matchingOf(runtime))!;
const { store } = runtime;
process.stdout.write(
  `matching benchmark: ${count.toLocaleString('en-US')} purchases (seed ${seed}), ${runs} run(s), ${os.cpus().length} cores\n`,
);

// 1) Load: generate, import in chunks per provider/scheme, fold into the typed tables. The ground truth is
//    counted on the way: which purchases have both sides (the true pairs). Transaction ids are the
//    generator's `p<purchase>` and `s<purchase>`, checked here, so a match is right when the numbers agree.
const world = loyaltyWorld(count, seed);
await m.reference.addMerchants(world.merchants);
const buffers = new Map<string, FileRecord[]>();
const sides = { payment: 0, scheme: 0 };
const paymentPurchases = new Set<number>();
let truePairs = 0;
let importSeconds = 0;
let imported = 0;
const flush = async (key: string) => {
  const records = buffers.get(key);
  if (!records?.length) return;
  buffers.set(key, []);
  const [side, owner] = key.split('/') as [Side, string];
  const t = performance.now();
  const report = await m.importer.import(side, owner, records, { origin: 'upload' });
  importSeconds += (performance.now() - t) / 1000;
  if (report.error || report.rejected.length || report.accepted !== records.length)
    throw new Error(
      `import of ${records.length} ${key} records: ${report.accepted} accepted, ${report.rejected.length} rejected ${JSON.stringify(report.rejected.slice(0, 2))} ${report.error ?? ''}`,
    );
  imported += records.length;
  process.stderr.write(`\r  imported ${imported.toLocaleString('en-US')} transactions`);
};
for (const t of generateTransactions({ count, seed, start: Date.UTC(2026, 10, 2) })) {
  const id = t.record.transaction_id;
  if (id !== `${t.side === 'payment' ? 'p' : 's'}${t.purchase}`)
    throw new Error(`unexpected transaction id ${id} for purchase ${t.purchase}`);
  sides[t.side]++;
  if (t.side === 'payment') paymentPurchases.add(t.purchase);
  else if (paymentPurchases.has(t.purchase)) truePairs++;
  const key = `${t.side}/${t.owner}`;
  const records = buffers.get(key) ?? [];
  if (records.length === 0) buffers.set(key, records);
  records.push({ index: records.length, line: records.length + 1, raw: '', value: t.record });
  if (records.length >= CHUNK) await flush(key);
}
for (const key of buffers.keys()) await flush(key);
paymentPurchases.clear();
await runtime.committer.drain();
process.stderr.write('\n');
let t = performance.now();
const folded = await m.folder.fold();
const foldSeconds = (performance.now() - t) / 1000;
if (folded.payments !== sides.payment || folded.schemeTransactions !== sides.scheme)
  throw new Error(
    `folded ${folded.payments} payments and ${folded.schemeTransactions} scheme transactions, generated ${sides.payment} and ${sides.scheme}`,
  );
process.stdout.write(
  `load: ${sides.payment.toLocaleString('en-US')} payment and ${sides.scheme.toLocaleString('en-US')} scheme transactions (${truePairs.toLocaleString('en-US')} true pairs); ` +
    `import ${fmt(importSeconds)} s (${fmt(imported / importSeconds)} tx/s), fold ${fmt(foldSeconds)} s (${fmt(imported / foldSeconds)} tx/s)\n`,
);

// How many of a set of (payment, scheme transaction) pairs are right: the same purchase number on both sides.
const score = async (pairs: string) => {
  const [r] = await store.query(
    `SELECT count(*) AS n, count(*) FILTER (WHERE substr(p.transaction_id, 2) = substr(s.transaction_id, 2)) AS ok
       FROM (${pairs}) x JOIN match_payments p ON p.id = x.pid JOIN match_scheme_txs s ON s.id = x.sid`,
  );
  const n = Number(r!.n);
  const ok = Number(r!.ok);
  return { n, ok, precision: n ? ok / n : 0, recall: truePairs ? ok / truePairs : 0 };
};

// 2) The baseline: what one would write by hand. Every payment joined to the scheme transactions at its
//    merchant with the same amount within ±60 s (the same day when a side has no time), keeping the nearest.
const BASELINE = `CREATE TABLE bench_baseline AS
  SELECT pid, sid FROM (
    SELECT p.id AS pid, s.id AS sid,
           row_number() OVER (PARTITION BY p.id ORDER BY abs(epoch(s.tx_time) - epoch(p.tx_time)), s.id) AS r
      FROM match_payments p
      JOIN match_scheme_mids sm ON sm.merchant_id = p.merchant_id
      JOIN match_scheme_txs s ON s.id = sm.scheme_tx_id
     WHERE s.amount = p.amount
       AND CASE WHEN p.has_time AND s.has_time
                THEN s.tx_time BETWEEN p.tx_time - INTERVAL ${WINDOW_SECONDS} SECOND AND p.tx_time + INTERVAL ${WINDOW_SECONDS} SECOND
                ELSE CAST(s.tx_time AS DATE) = CAST(p.tx_time AS DATE) END) c
   WHERE r = 1`;
const RESET = [
  "UPDATE match_payments SET status = 'pending' WHERE status <> 'unknown_merchant'",
  "UPDATE match_scheme_txs SET status = 'pending'",
  'DELETE FROM match_exports',
  'DELETE FROM match_matches',
];

// 3) Runs: the baseline, then the matching pass, then both are undone for the next run.
const ours: number[] = [];
const base: number[] = [];
let pass = { matched: 0, ambiguous: 0, rounds: 0, unmatched: 0 };
let ourScore = { n: 0, ok: 0, precision: 0, recall: 0 };
let baseScore = ourScore;
for (let r = 0; r < runs; r++) {
  await store.exec('DROP TABLE IF EXISTS bench_baseline');
  t = performance.now();
  await store.exec(BASELINE);
  base.push((performance.now() - t) / 1000);
  if (r === 0) baseScore = await score('SELECT pid, sid FROM bench_baseline');
  if (r > 0) for (const sql of RESET) await store.exec(sql);
  t = performance.now();
  pass = await m.matcher.pass();
  ours.push((performance.now() - t) / 1000);
  if (r === 0)
    ourScore = await score(
      'SELECT payment_id AS pid, scheme_tx_id AS sid FROM match_matches WHERE scheme_tx_id IS NOT NULL',
    );
  process.stderr.write(
    `  run ${r + 1}: matching ${fmt(ours[r]!)} s (${pass.matched.toLocaleString('en-US')} matched, ${pass.ambiguous} ambiguous, ${pass.rounds} rounds), baseline join ${fmt(base[r]!)} s\n`,
  );
}
await store.exec('DROP TABLE IF EXISTS bench_baseline');

const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
const oursS = median(ours);
const baseS = median(base);
process.stdout.write(`\nmedians of ${runs} run(s):\n`);
printComparison('matching pass vs plain join (seconds)', oursS, baseS, 's', '< 20 s for the pass');
printComparison(
  'matches/s',
  ourScore.n / oursS,
  baseScore.n / baseS,
  'matches/s',
  `>= ${fmt(truePairs / 20)}/s`,
);
for (const [label, o, b] of [
  ['precision (right / matches made)', ourScore.precision, baseScore.precision],
  ['recall (right / true pairs)', ourScore.recall, baseScore.recall],
] as const)
  process.stdout.write(
    `${label.padEnd(44)} ours ${pct(o)}   baseline ${pct(b)}   ratio ${(o / b).toFixed(2)}   (target >= 99.9%)\n`,
  );
process.stdout.write(
  `matches: ours ${ourScore.n.toLocaleString('en-US')} (${ourScore.ok.toLocaleString('en-US')} right, ${(ourScore.n - ourScore.ok).toLocaleString('en-US')} wrong, ` +
    `${pass.ambiguous.toLocaleString('en-US')} payments left ambiguous, ${pass.rounds} rounds); ` +
    `baseline ${baseScore.n.toLocaleString('en-US')} (${baseScore.ok.toLocaleString('en-US')} right, ${(baseScore.n - baseScore.ok).toLocaleString('en-US')} wrong); ` +
    `${truePairs.toLocaleString('en-US')} true pairs\n`,
);
process.stdout.write(
  `load: import ${fmt(importSeconds)} s + fold ${fmt(foldSeconds)} s for ${imported.toLocaleString('en-US')} transactions (not part of the pass)\n`,
);
await runtime.close();
fs.rmSync(dir, { recursive: true, force: true });
