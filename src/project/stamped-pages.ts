import type { ProjectionAnswer } from './projection-reader.js';
import type { VersionRow } from './registry.js';

// Pages kept per projection, by their query; a new stamp drops them all.
const PAGES_PER_PROJECTION = 1_000;

/**
 * Pages of a store other processes write (PostgreSQL), kept by the registry stamp they were read at: a
 * projection's tables change only with its version (a swap) or its speed seq (a fold, in the fold's own
 * transaction), so while the registry row a request reads says the same, so do the tables. A page is kept
 * only when the stamp read after it equals the one before, so it never holds rows newer than its stamp.
 */
export class StampedPages {
  private readonly byName = new Map<string, { stamp: string; pages: Map<string, ProjectionAnswer> }>();

  get(v: VersionRow, query: string): ProjectionAnswer | undefined {
    const kept = this.byName.get(v.name);
    return kept?.stamp === stampOf(v) ? kept.pages.get(query) : undefined;
  }

  keep(before: VersionRow, after: VersionRow | undefined, query: string, answer: ProjectionAnswer): void {
    const stamp = stampOf(before);
    if (!after || stampOf(after) !== stamp) return;
    let kept = this.byName.get(before.name);
    if (kept?.stamp !== stamp) {
      kept = { stamp, pages: new Map() };
      this.byName.set(before.name, kept);
    }
    kept.pages.set(query, answer);
    if (kept.pages.size > PAGES_PER_PROJECTION) kept.pages.delete(kept.pages.keys().next().value!);
  }
}

function stampOf(v: VersionRow): string {
  return `${v.version}\n${v.speedSeq}`;
}
