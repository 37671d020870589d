import { api, currentAccess } from '../api.js';
import { esc, table } from '../ui.js';

type View = {
  name: string;
  kind: string;
  cursor: number;
  lastSeq: number;
  lagEvents: number;
  lagSeconds: number;
  paused: boolean;
  pausedReason: string | null;
  failingSince: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deadLetters: number;
  replay: { from: number; to: number; progress: number } | null;
};
type DeadLetter = {
  seq: number;
  source: string;
  eventId: string;
  status: number;
  response: string;
  failedAt: string;
};

const state = (v: View) =>
  v.paused
    ? `paused: ${v.pausedReason ?? ''}`
    : v.failingSince
      ? `failing since ${v.failingSince}`
      : 'delivering';

/** Each destination's state, lag and replay progress, its recent refusals with their bodies, and (admins) actions. */
export async function destinationsPage(page: HTMLElement) {
  const { may } = await currentAccess();
  // Its own element: the page's listener leaves with it when another page is shown.
  page.innerHTML = '<div></div>';
  const el = page.firstElementChild as HTMLElement;
  const draw = async () => {
    const { destinations } = await api<{ destinations: View[] }>('/v1/destinations');
    const failures: string[] = [];
    for (const v of destinations.filter((d) => d.deadLetters > 0)) {
      const { deadLetters } = await api<{ deadLetters: DeadLetter[] }>(
        `/v1/destinations/${encodeURIComponent(v.name)}/dead-letters?limit=20`,
      );
      failures.push(`<section><h2>Refused by ${esc(v.name)} <span class="muted">${v.deadLetters} dead letters</span></h2>
        ${table(deadLetters.map((d) => ({ failed_at: d.failedAt, seq: d.seq, source: d.source, id: d.eventId, status: d.status, response: d.response.slice(0, 300) })))}</section>`);
    }
    const actions = (v: View) =>
      `<span class="row" data-name="${esc(v.name)}">${v.paused ? '<button data-do="resume">Resume</button>' : '<button data-do="pause">Pause</button>'}
        <input type="number" min="1" placeholder="from seq" aria-label="replay ${esc(v.name)} from seq" />
        <button data-do="replay">Replay</button>${v.deadLetters ? '<button data-do="dead">Send dead letters again</button>' : ''}</span>`;
    const rows = destinations.map((v) => ({
      name: v.name,
      kind: v.kind,
      state: state(v),
      lag_events: v.lagEvents,
      lag_seconds: Math.round(v.lagSeconds * 10) / 10,
      last_status: v.lastStatus,
      dead_letters: v.deadLetters,
      replay: v.replay ? `${Math.round(v.replay.progress * 100)}% of ${v.replay.from}..${v.replay.to}` : null,
      last_error: v.lastError,
    }));
    el.innerHTML = `<h1>Destinations</h1>${table(rows)}
      ${may.admin ? `<section><h2>Operate</h2>${destinations.map((v) => `<p><strong>${esc(v.name)}</strong> ${actions(v)}</p>`).join('')}<p id="out" role="status"></p></section>` : ''}
      ${failures.join('')}`;
  };
  el.addEventListener('click', async (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-do]');
    const row = button?.closest<HTMLElement>('[data-name]');
    if (!button || !row) return;
    const name = encodeURIComponent(row.dataset.name!);
    const what = button.dataset.do!;
    const from = Number(row.querySelector('input')?.value);
    const body = what === 'replay' ? { fromSeq: from } : what === 'dead' ? { deadLetters: true } : {};
    const path = what === 'dead' ? 'replay' : what;
    try {
      const r = await api(`/v1/destinations/${name}/${path}`, { method: 'POST', body });
      await draw();
      el.querySelector('#out')!.textContent = `${what}: ${JSON.stringify(r)}`;
    } catch (err) {
      el.querySelector('#out')!.textContent = `${what} failed: ${(err as Error).message}`;
    }
  });
  await draw();
  // Refreshed while shown, except while someone is typing a seq.
  const timer = setInterval(() => {
    if (!(document.activeElement instanceof HTMLInputElement)) void draw().catch(() => undefined);
  }, 2000);
  return () => clearInterval(timer);
}
