/** Options every generator takes. */
export interface GenerateOptions {
  /** How many primary entities (orders, messages, transactions) to generate. */
  readonly count: number;
  readonly seed: number;
  /** Epoch ms the generated history starts at. */
  readonly start: number;
}

/** A named, reproducible event generator for demos, tests and benchmarks. */
export interface Generator {
  readonly name: string;
  readonly description: string;
  /** Yields events in time order (each a JSON object in the generator's source shape). */
  generate(options: GenerateOptions): Iterable<Record<string, unknown>>;
}
