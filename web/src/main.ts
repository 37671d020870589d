import './style.css';
import { download, forgetAccess, NeedsToken, NotEnabled, setToken } from './api.js';
import { destinationsPage } from './pages/destinations.js';
import { eventsPage } from './pages/events.js';
import { lakePage } from './pages/lake.js';
import { lifecyclesPage } from './pages/lifecycles.js';
import { matchingPage } from './pages/matching.js';
import { overviewPage } from './pages/overview.js';
import { projectionsPage } from './pages/projections.js';
import { quarantinePage } from './pages/quarantine.js';
import { reportsPage } from './pages/reports.js';
import { esc } from './ui.js';

/** A page renders into its element and returns how to stop its timers. */
export type Page = (el: HTMLElement) => Promise<(() => void) | undefined>;

const PAGES: Record<string, { title: string; page: Page }> = {
  '': { title: 'Overview', page: overviewPage },
  events: { title: 'Events', page: eventsPage },
  projections: { title: 'Projections', page: projectionsPage },
  reports: { title: 'Reports', page: reportsPage },
  lifecycles: { title: 'Lifecycles', page: lifecyclesPage },
  quarantine: { title: 'Quarantine', page: quarantinePage },
  lake: { title: 'Lake', page: lakePage },
  matching: { title: 'Matching', page: matchingPage },
  destinations: { title: 'Destinations', page: destinationsPage },
};

let stop: (() => void) | undefined;

async function render(): Promise<void> {
  stop?.();
  stop = undefined;
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  const entry = PAGES[name] ?? PAGES['']!;
  const nav = document.getElementById('nav')!;
  nav.innerHTML = Object.entries(PAGES)
    .map(([k, p]) => `<a href="#/${k}"${k === name ? ' aria-current="page"' : ''}>${p.title}</a>`)
    .join('');
  const el = document.getElementById('page')!;
  el.innerHTML = '<p class="loading">Loading…</p>';
  document.title = `${entry.title} · Panoramix`;
  try {
    stop = await entry.page(el);
  } catch (err) {
    if (err instanceof NeedsToken) return login(el, err.message);
    if (err instanceof NotEnabled) {
      el.innerHTML = `<h1>${esc(entry.title)}</h1><p class="empty">${esc(entry.title)} is not enabled in this project.</p>`;
      return;
    }
    el.innerHTML = `<h1>${esc(entry.title)}</h1><p class="error" role="alert">Could not load this page: ${esc((err as Error).message)}</p>`;
  }
}

function login(el: HTMLElement, reason: string): void {
  el.innerHTML = `<h1>Sign in</h1><p>${esc(reason)}. Paste a read token (server.readTokens in panoramix.yaml), or an admin token to also run reports and replay.</p>
    <form id="login" class="row"><input name="token" type="password" autocomplete="current-password" placeholder="rt_… or at_…" aria-label="token" required />
    <button>Sign in</button></form>`;
  el.querySelector('form')!.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(String(new FormData(e.target as HTMLFormElement).get('token') ?? ''));
    forgetAccess();
    void render();
  });
}

// Rows that link somewhere navigate on click (tables are rebuilt often, so the listener sits on the page).
document.addEventListener('click', (e) => {
  // Download links are fetched with the token in the header, never with it in the URL.
  const link = (e.target as HTMLElement).closest<HTMLElement>('[data-download]');
  if (link) {
    e.preventDefault();
    download(link.dataset.download!).catch((err: unknown) =>
      alert(`Download failed: ${(err as Error).message}`),
    );
    return;
  }
  const row = (e.target as HTMLElement).closest('tr[data-href]');
  if (row) location.hash = row.getAttribute('data-href')!;
});
window.addEventListener('hashchange', () => void render());
void render();
