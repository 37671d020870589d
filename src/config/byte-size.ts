import { z } from 'zod';
/** Parses 10mb, 512 KiB, 1g or a number of bytes; NaN when it is not a size. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?\s*$/i.exec(text);
  if (!m) return Number.NaN;
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k')
    ? 1024
    : unit.startsWith('m')
      ? 1024 ** 2
      : unit.startsWith('g')
        ? 1024 ** 3
        : 1;
  return Math.round(Number(m[1]) * factor);
}

/** A size in panoramix.yaml: a number of bytes or text such as 10mb or 512kb. */
export const byteSize = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseByteSize(v);
  if (!Number.isFinite(n) || n <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a size (write e.g. 10mb, 512kb or a number of bytes)`,
    });
    return z.NEVER;
  }
  return n;
});
