const SHARD_BITS = 12;
const SHARDS = 1 << SHARD_BITS;
const MAX_LOAD = 0.75;

/**
 * The exact-once check of the embedded store, kept out of DuckDB's unique index (which costs 4x in append
 * speed and ~0.5 GB per 2 million keys). The 53-bit (source, id) hash is split: 12 high bits pick one of
 * 4,096 shards, the low 32 bits are the fingerprint kept in that shard's open-addressing table. A slot is
 * 4 bytes and tables are at most 75% full, so memory is 5.3 to 10.7 MB per million keys; shards grow
 * one at a time, so no pause copies the whole set. Two different keys look alike with probability
 * n / 2^44 (about 6 in a million at 100 million keys), and `add` answering true is always verified
 * against the store by the caller: a false alarm costs one lookup, never an event.
 */
export class KeySet {
  private readonly shards: Uint32Array[] = [];
  private readonly counts = new Int32Array(SHARDS);
  private total = 0;

  constructor() {
    for (let s = 0; s < SHARDS; s++) this.shards.push(new Uint32Array(16));
  }

  get size(): number {
    return this.total;
  }

  get bytes(): number {
    let b = 0;
    for (const t of this.shards) b += t.byteLength;
    return b;
  }

  /** Adds a hash; answers true when it (or a look-alike) was already present. */
  add(hash: number): boolean {
    const s = shardOf(hash);
    let table = this.shards[s]!;
    if (this.counts[s]! + 1 > table.length * MAX_LOAD) table = this.grow(s);
    const fp = fingerprint(hash);
    const mask = table.length - 1;
    let i = slotOf(fp) & mask;
    for (;;) {
      const v = table[i]!;
      if (v === 0) {
        table[i] = fp;
        this.counts[s]!++;
        this.total++;
        return false;
      }
      if (v === fp) return true;
      i = (i + 1) & mask;
    }
  }

  mightContain(hash: number): boolean {
    const table = this.shards[shardOf(hash)]!;
    const fp = fingerprint(hash);
    const mask = table.length - 1;
    let i = slotOf(fp) & mask;
    for (;;) {
      const v = table[i]!;
      if (v === 0) return false;
      if (v === fp) return true;
      i = (i + 1) & mask;
    }
  }

  private grow(s: number): Uint32Array {
    const old = this.shards[s]!;
    const table = new Uint32Array(old.length * 2);
    const mask = table.length - 1;
    for (let j = 0; j < old.length; j++) {
      const fp = old[j]!;
      if (fp === 0) continue;
      let i = slotOf(fp) & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = fp;
    }
    this.shards[s] = table;
    return table;
  }
}

function shardOf(hash: number): number {
  return Math.floor(hash / 4294967296) & (SHARDS - 1);
}

// The low 32 bits of the hash, never 0 (0 marks an empty slot).
function fingerprint(hash: number): number {
  return hash >>> 0 || 1;
}

// The slot comes from a remix of the fingerprint alone, so a table can grow without the bits it dropped.
function slotOf(fp: number): number {
  let x = Math.imul(fp ^ (fp >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}
