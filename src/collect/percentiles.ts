/** Percentiles over the last `size` samples (a ring buffer): cheap to add to on the hot path. */
export class Percentiles {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(size: number) {
    this.samples = new Float64Array(size);
  }

  add(v: number): void {
    this.samples[this.next] = v;
    this.next = (this.next + 1) % this.samples.length;
    if (this.count < this.samples.length) this.count++;
  }

  /** p in [0, 100]; null before the first sample. */
  get(p: number): number | null {
    if (this.count === 0) return null;
    const sorted = Array.from(this.samples.subarray(0, this.count)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }

  summary(): { p50: number | null; p90: number | null; p99: number | null; max: number | null } {
    return { p50: this.get(50), p90: this.get(90), p99: this.get(99), max: this.get(100) };
  }
}
