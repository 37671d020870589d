import type { Row } from '../store/store.js';

/** A latest projection's partial rows of one key, merged: what its merged SQL answers for that key. */
export function mergeLatest(
  keys: readonly string[],
  picks: readonly { readonly name: string; readonly dir: 'latest' | 'first' }[],
  partials: readonly Row[],
): Row[] {
  const first = partials[0];
  if (!first) return [];
  const out: Row = {};
  for (const k of keys) out[k] = first[k] ?? null;
  for (const { name, dir } of picks) {
    let best: Row | undefined;
    for (const r of partials) {
      if (r[`_t_${name}`] === null || r[`_t_${name}`] === undefined) continue;
      if (!best) best = r;
      else {
        const c = order(r, best, name);
        if (dir === 'latest' ? c > 0 : c < 0) best = r;
      }
    }
    out[name] = best ? (best[name] ?? null) : null;
  }
  return [out];
}

// Compares two partial rows by (time, seq) of one column's pick.
function order(a: Row, b: Row, name: string): number {
  const at = instant(a[`_t_${name}`]);
  const bt = instant(b[`_t_${name}`]);
  if (at !== bt) return at < bt ? -1 : 1;
  return Number(a[`_s_${name}`]) - Number(b[`_s_${name}`]);
}

function instant(v: unknown): number {
  return v instanceof Date ? v.getTime() : Number(v);
}
