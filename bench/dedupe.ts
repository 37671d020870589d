// npm run bench -- dedupe [--keys 100000000] [--quick]
// The embedded store's exactly-once key set at scale: inserts/s, lookups/s, false alarms and bytes per key,
// next to a JS Set of the same key hashes (which V8 caps at 2^24 entries, so it is measured at 10 million).
import { keyHash } from '../src/core/key-hash.js';
import { KeySet } from '../src/store/duckdb/key-set.js';
import { opt, quick } from './_args.js';
import { fmt, printComparison } from './_report.js';

const n = opt('keys', quick ? 5_000_000 : 100_000_000);
const baselineN = Math.min(n, 10_000_000);

function heapMb(): number {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

process.stdout.write(`dedupe benchmark: ${n.toLocaleString('en-US')} keys\n`);
const before = heapMb();
const set = new KeySet();
let t = performance.now();
for (let k = 0; k < n; k++) {
  set.add(keyHash('web', `evt-${k}`));
  if (k > 0 && k % 10_000_000 === 0)
    process.stdout.write(`  ${k.toLocaleString('en-US')} keys, ${fmt(set.bytes / 1e6)} MB\n`);
}
const insertPerSec = n / ((performance.now() - t) / 1000);
t = performance.now();
let alarms = 0;
const probes = Math.min(n, 10_000_000);
for (let k = 0; k < probes; k++) if (set.mightContain(keyHash('web', `new-${k}`))) alarms++;
const lookupPerSec = probes / ((performance.now() - t) / 1000);
const keySetMb = set.bytes / 1e6;
process.stdout.write(
  `key set: ${fmt(insertPerSec)} inserts/s, ${fmt(lookupPerSec)} lookups/s of new keys, ${alarms} false alarms in ${probes.toLocaleString('en-US')} (each costs one store lookup), ${fmt(keySetMb)} MB = ${fmt((keySetMb / n) * 1e6)} MB per million keys (heap delta ${fmt(heapMb() - before)} MB)\n`,
);

const baseBefore = heapMb();
const jsSet = new Set<number>();
t = performance.now();
for (let k = 0; k < baselineN; k++) jsSet.add(keyHash('web', `evt-${k}`));
const setPerSec = baselineN / ((performance.now() - t) / 1000);
const setMb = heapMb() - baseBefore;
process.stdout.write(
  `JS Set of ${baselineN.toLocaleString('en-US')} hashes: ${fmt(setPerSec)} inserts/s, ${fmt(setMb)} MB = ${fmt((setMb / baselineN) * 1e6)} MB per million keys\n\n`,
);
// Both structures stay alive until here, so neither heap figure was measured after the other was collected.
process.stdout.write(
  `(${set.size.toLocaleString('en-US')} and ${jsSet.size.toLocaleString('en-US')} keys held)\n`,
);
printComparison('inserts/s (key set vs JS Set)', insertPerSec, setPerSec, '/s');
printComparison(
  'MB per million keys (key set vs JS Set)',
  (keySetMb / n) * 1e6,
  (setMb / baselineN) * 1e6,
  'MB',
  'lower is better',
);
