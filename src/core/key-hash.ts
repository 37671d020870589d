/**
 * A 53-bit hash of an event's (source, ceSource, id) key: the dedupe set's fingerprint and the store's `key_hash`
 * column. cyrb53 (public domain): two 32-bit multiply-xorshift lanes, fast on V8 and well mixed. 53 bits
 * so it fits a JS number exactly; a hit is always verified against the store, so collisions cost a
 * lookup, never an event.
 */
export function keyHash(source: string, id: string, ceSource?: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < source.length; i++) {
    const ch = source.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  // A CloudEvents source equal to the Panoramix source hashes as if absent: the rows stored before the
  // CloudEvents source was kept (which take their source name as it) keep the key_hash they were written with.
  if (ceSource !== undefined && ceSource !== source) {
    h1 = Math.imul(h1 ^ 0x10001, 2654435761);
    h2 = Math.imul(h2 ^ 0x10001, 1597334677);
    for (let i = 0; i < ceSource.length; i++) {
      const ch = ceSource.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
  }
  // A separator that cannot appear in a UTF-16 string keeps ("ab","c") apart from ("a","bc").
  h1 = Math.imul(h1 ^ 0x10000, 2654435761);
  h2 = Math.imul(h2 ^ 0x10000, 1597334677);
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
