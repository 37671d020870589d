import { api, follow } from '../api.js';
import { esc, go, routeParams, table } from '../ui.js';

type Stage = { stage: string; at: string | null; count: number; status: string };
type Message = {
  messageId: string;
  app: string | null;
  currentStage: string | null;
  missing: string[];
  overdue: string[];
  anomalies: string[];
  lastSeen: string;
  stages: Stage[];
};

/** Search a message id for its timeline (missing and overdue marked, live), the funnel, and stuck messages. */
export async function lifecyclesPage(el: HTMLElement) {
  const p = routeParams();
  const { lifecycles } = await api<{
    lifecycles: { name: string; stages: string[]; description: string | null }[];
  }>('/v1/lifecycles');
  const name = p.get('name') ?? lifecycles[0]?.name;
  if (!name) {
    el.innerHTML = '<h1>Lifecycles</h1><p class="empty">No lifecycles are declared in panoramix.yaml.</p>';
    return undefined;
  }
  const id = p.get('id');
  const [funnel, stuck, overdue] = await Promise.all([
    api<{ funnel: { stage: string; messages: number }[] }>(`/v1/lifecycles/${name}/funnel`),
    p.get('missing')
      ? api<{ messages: Message[]; total: number }>(
          `/v1/lifecycles/${name}/messages?missing=${encodeURIComponent(p.get('missing')!)}&limit=50`,
        )
      : Promise.resolve(null),
    api<{ messages: Message[]; total: number }>(`/v1/lifecycles/${name}/messages?overdue=true&limit=20`),
  ]);
  let timeline = '';
  if (id) {
    try {
      const m = await api<
        Message & { timeline: { time: string; type: string; source: string; data: unknown }[] }
      >(`/v1/lifecycles/${name}/messages/${encodeURIComponent(id)}`);
      timeline = `<section><h2>Message ${esc(m.messageId)} <span class="muted">${esc(m.app ?? '')} · now at ${esc(m.currentStage ?? '–')}</span></h2>
        <ol class="timeline">${m.stages.map((s) => `<li class="stage ${esc(s.status)}"><strong>${esc(s.stage)}</strong> <span>${esc(s.status)}${s.at ? ` · ${esc(s.at)}` : ''}${s.count > 1 ? ` · ×${s.count}` : ''}</span></li>`).join('')}</ol>
        ${m.anomalies.length ? `<p class="error">${m.anomalies.map(esc).join('; ')}</p>` : ''}
        <h3>Events</h3><div id="events">${table(m.timeline.map((e) => ({ time: e.time, type: e.type, source: e.source, data: e.data })))}</div></section>`;
    } catch (err) {
      timeline = `<p class="error" role="alert">${esc((err as Error).message)}</p>`;
    }
  }
  const max = Math.max(1, ...funnel.funnel.map((f) => f.messages));
  el.innerHTML = `
    <h1>Lifecycles</h1>
    <div class="row tabs">${lifecycles.map((l) => `<a href="#/lifecycles?name=${esc(l.name)}"${l.name === name ? ' aria-current="page"' : ''}>${esc(l.name)}</a>`).join('')}</div>
    <form id="search" class="row"><label>message id<input name="id" value="${esc(id ?? '')}" placeholder="msg-…" /></label><button>Show timeline</button></form>
    ${timeline}
    <section><h2>Funnel</h2><div class="funnel">${funnel.funnel
      .map(
        (f) =>
          `<div class="bar"><span class="label">${esc(f.stage)}</span><span class="fill" style="width:${(100 * f.messages) / max}%"></span><span class="n">${f.messages.toLocaleString('en-US')}</span></div>`,
      )
      .join('')}</div></section>
    <section><h2>Missing a stage</h2>
      <form id="missing" class="row"><label>stage<select name="missing">${['', ...(lifecycles.find((l) => l.name === name)?.stages ?? [])].map((s) => `<option${s === p.get('missing') ? ' selected' : ''}>${esc(s)}</option>`).join('')}</select></label><button>List</button></form>
      ${stuck ? `<p class="muted">${stuck.total} message(s)</p>${messages(stuck.messages, name)}` : ''}
    </section>
    <section><h2>Overdue <span class="muted">${overdue.total}</span></h2>${messages(overdue.messages, name)}</section>`;
  el.querySelector('#search')!.addEventListener('submit', (e) => {
    e.preventDefault();
    go('lifecycles', { name, id: String(new FormData(e.target as HTMLFormElement).get('id') ?? '').trim() });
  });
  el.querySelector('#missing')!.addEventListener('submit', (e) => {
    e.preventDefault();
    go('lifecycles', {
      name,
      id: id ?? undefined,
      missing: String(new FormData(e.target as HTMLFormElement).get('missing') ?? ''),
    });
  });
  if (!id) return undefined;
  // The timeline grows as events arrive (server-sent events, read with the token in the header).
  return follow(`/v1/lifecycles/${name}/messages/${encodeURIComponent(id)}/live`, (event) => {
    if (event === 'stage') go('lifecycles', Object.fromEntries(p.entries()));
  });
}

function messages(list: Message[], name: string): string {
  return table(
    list.map((m) => ({
      message: m.messageId,
      app: m.app,
      current: m.currentStage,
      missing: m.missing.join(' '),
      overdue: m.overdue.join(' '),
      last_seen: m.lastSeen,
    })),
    undefined,
    (r) => `#/lifecycles?name=${encodeURIComponent(name)}&id=${encodeURIComponent(String(r.message))}`,
  );
}
