/** Prints a benchmark figure beside its same-run baseline, as a ratio; medians of several runs. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One line per comparison: ours, the baseline, ours/baseline, and the target. */
export function printComparison(
  label: string,
  ours: number,
  baseline: number,
  unit: string,
  target?: string,
): void {
  const ratio = ours / baseline;
  process.stdout.write(
    `${label.padEnd(44)} ours ${fmt(ours)} ${unit}   baseline ${fmt(baseline)} ${unit}   ratio ${ratio.toFixed(2)}${target ? `   (target ${target})` : ''}\n`,
  );
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}
