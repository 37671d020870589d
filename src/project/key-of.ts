/**
 * The cache key of a latest projection's key values: timestamps by their instant, everything else as text, so
 * a number bound from a request and the same number read back (a bigint may come back as text) are one key. A
 * key column has one type, so text cannot collide with a number.
 */
export function keyOf(values: readonly unknown[]): string {
  return JSON.stringify(
    values.map((v) => (v === null || v === undefined ? null : v instanceof Date ? v.getTime() : String(v))),
  );
}
