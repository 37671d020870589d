import { api } from '../api.js';
import { esc, go, routeParams, table } from '../ui.js';

type Ev = {
  seq: number;
  source: string;
  ce_source: string;
  id: string;
  type: string;
  subject: string | null;
  time: string;
  data: unknown;
};

/** Events filtered by type, source, CloudEvents source, subject and time, a live tail, and one event's JSON. */
export async function eventsPage(el: HTMLElement) {
  const p = routeParams();
  const filters = ['type', 'source', 'ce_source', 'subject', 'from', 'to'] as const;
  const q = new URLSearchParams();
  for (const f of filters) if (p.get(f)) q.set(f, p.get(f)!);
  q.set('limit', '100');
  const { events, lastSeq } = await api<{ events: Ev[]; lastSeq: number }>(`/v1/events?${q}`);
  const selected = p.get('seq');
  const detail = selected ? events.find((e) => String(e.seq) === selected) : undefined;
  el.innerHTML = `
    <h1>Events <span class="muted">${lastSeq.toLocaleString('en-US')} stored</span></h1>
    <form id="f" class="row">
      ${filters.map((f) => `<label>${f}<input name="${f}" value="${esc(p.get(f) ?? '')}" placeholder="${f === 'from' || f === 'to' ? 'ISO time' : 'any'}" /></label>`).join('')}
      <button>Filter</button>
      <label class="inline"><input type="checkbox" id="tail" ${p.get('tail') ? 'checked' : ''}/> live tail</label>
    </form>
    ${detail ? `<section><h2>Event ${detail.seq}</h2><pre class="json">${esc(JSON.stringify(detail, null, 2))}</pre></section>` : ''}
    <section id="rows">${rows(events, p)}</section>`;
  el.querySelector('#f')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    go('events', Object.fromEntries(filters.map((f) => [f, String(data.get(f) ?? '')])));
  });
  el.querySelector('#tail')!.addEventListener('change', (e) => {
    const params = Object.fromEntries(p.entries());
    go('events', { ...params, tail: (e.target as HTMLInputElement).checked ? '1' : undefined });
  });
  if (!p.get('tail')) return undefined;
  let after = lastSeq;
  let shown = events;
  const timer = setInterval(async () => {
    const tq = new URLSearchParams(q);
    tq.set('after', String(after));
    const { events: fresh } = await api<{ events: Ev[] }>(`/v1/events?${tq}`);
    if (fresh.length === 0) return;
    after = fresh.at(-1)!.seq;
    shown = [...fresh.reverse(), ...shown].slice(0, 200);
    el.querySelector('#rows')!.innerHTML = rows(shown, p);
  }, 1000);
  return () => clearInterval(timer);
}

function rows(events: Ev[], p: URLSearchParams): string {
  const base = Object.fromEntries(p.entries());
  return table(
    events.map((e) => ({
      seq: e.seq,
      time: e.time,
      source: e.source,
      // The CloudEvents source only where it says more than the Panoramix source.
      'ce source': e.ce_source === e.source ? '' : e.ce_source,
      type: e.type,
      subject: e.subject,
      id: e.id,
    })),
    undefined,
    (r) => `#/events?${new URLSearchParams({ ...base, seq: String(r.seq) })}`,
  );
}
