/** Escapes text for HTML. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value for a table cell: times shortened, objects as JSON. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return '<span class="muted">–</span>';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v))
    return esc(v.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
  if (typeof v === 'object') return `<code>${esc(JSON.stringify(v))}</code>`;
  return esc(v);
}

/** An HTML table of rows (columns from the first row unless given). */
export function table(
  rows: readonly Record<string, unknown>[],
  columns?: readonly string[],
  link?: (row: Record<string, unknown>) => string | null,
): string {
  if (rows.length === 0) return '<p class="empty">Nothing here yet.</p>';
  const cols = columns ?? Object.keys(rows[0]!);
  const body = rows
    .map((r) => {
      const href = link?.(r);
      return `<tr${href ? ` data-href="${esc(href)}" class="link"` : ''}>${cols.map((c) => `<td>${show(r[c])}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<div class="scroll"><table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** Query parameters of the current hash route (#/page?x=1). */
export function routeParams(): URLSearchParams {
  const h = location.hash.replace(/^#/, '');
  return new URLSearchParams(h.includes('?') ? h.slice(h.indexOf('?') + 1) : '');
}

/** Moves to a route, keeping filters in the URL so it can be shared. */
export function go(page: string, params: Record<string, string | undefined> = {}): void {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]));
  location.hash = `#/${page}${q.toString() ? `?${q}` : ''}`;
}

export function fmtNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
