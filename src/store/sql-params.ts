/**
 * The one way a value enters SQL: `add` keeps it aside and answers its placeholder. Both stores speak $1, $2…
 * (SqlClient); a source database of the lake passes its own style (MySQL's `?`).
 */
export class Params {
  readonly values: unknown[] = [];
  private readonly byName = new Map<string, string>();

  /**
   * @param first the number of the first placeholder, for SQL that already has some before these.
   * @param placeholder the engine's placeholder text for the n-th value.
   */
  constructor(
    private readonly first = 1,
    private readonly placeholder: (n: number) => string = (n) => `$${n}`,
  ) {}

  /** Binds a value; answers its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return this.placeholder(this.first + this.values.length - 1);
  }

  /** Binds each value; answers the placeholders of an IN list, `$1, $2, $3` (without parentheses). */
  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }

  /** Binds the value of a named parameter once however often the SQL names it: the same placeholder again. */
  named(name: string, value: () => unknown): string {
    let at = this.byName.get(name);
    if (at === undefined) {
      at = this.add(value());
      this.byName.set(name, at);
    }
    return at;
  }

  /** Whether `named` bound this name. */
  hasNamed(name: string): boolean {
    return this.byName.has(name);
  }
}
