import { api, currentAccess } from '../api.js';
import { esc, table } from '../ui.js';

/** Held inputs by reason, and replay. */
export async function quarantinePage(el: HTMLElement) {
  const q = await api<{
    items: {
      id: string;
      source: string;
      type: string | null;
      reason: string;
      error: string;
      times: number;
      lastSeen: string;
      raw: string;
    }[];
    held: Record<string, number>;
  }>('/v1/quarantine?limit=100');
  const { may } = await currentAccess();
  el.innerHTML = `<h1>Quarantine</h1>
    <p class="muted">${
      Object.entries(q.held)
        .map(([r, n]) => `${esc(r)}: ${n}`)
        .join(' · ') || 'nothing held'
    }</p>
    ${may.admin ? '<p><button id="replay">Replay everything held</button> <span id="out" role="status"></span></p>' : ''}
    ${table(q.items.map((i) => ({ last_seen: i.lastSeen, source: i.source, reason: i.reason, error: i.error, times: i.times, raw: i.raw.slice(0, 120) })))}`;
  el.querySelector('#replay')?.addEventListener('click', async () => {
    const r = await api<{ replayed: number; stillFailing: number }>('/v1/quarantine/replay', {
      method: 'POST',
      body: {},
    });
    el.querySelector('#out')!.textContent = `replayed ${r.replayed}, still failing ${r.stillFailing}`;
  });
  return undefined;
}
