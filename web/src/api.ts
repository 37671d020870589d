/** Thrown when an API answers 401/403: the page asks for the read token. */
export class NeedsToken extends Error {}
/** Thrown when a feature's API does not exist in this project (404 on its root). */
export class NotEnabled extends Error {}

const TOKEN_KEY = 'panoramix.readToken';

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string | null): void {
  if (t) localStorage.setItem(TOKEN_KEY, t);
  else localStorage.removeItem(TOKEN_KEY);
}

/** The Authorization header of the signed-in token (tokens never go in URLs, where access logs keep them). */
function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** GET or POST the public HTTP API with the token; errors become sentences. */
export async function api<T = unknown>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const headers = authHeaders();
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (res.status === 401 || res.status === 403) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; invalid?: boolean };
    // No token, or one Panoramix does not know (wrong, expired, revoked): sign in.
    if (res.status === 401 || body.invalid) throw new NeedsToken(body.error ?? 'a read token is needed');
    // Signed in, but this token may not do this (an admin action, or beyond a limited token): say so.
    throw new Error(body.error ?? 'this token may not do this');
  }
  const body = (await res.json().catch(() => null)) as (T & { error?: string }) | null;
  if (res.status === 404 && body?.error?.startsWith('no route')) throw new NotEnabled(path);
  if (!res.ok) throw new Error(body?.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/** What the signed-in token may do, from GET /v1/access (the pages hide the actions it may not take). */
export type Access = { name: string; kind: string; may: { read: boolean; admin: boolean } };
let access: Promise<Access> | undefined;
export function currentAccess(): Promise<Access> {
  access ??= api<Access>('/v1/access').catch((err: unknown) => {
    access = undefined;
    throw err;
  });
  return access;
}

/** Forgets what the previous token was allowed (after signing in again). */
export function forgetAccess(): void {
  access = undefined;
}

/**
 * Downloads a file the API serves, with the token in the header: fetched, then handed to the browser as a
 * blob under the name the server gives (Content-Disposition).
 */
export async function download(path: string): Promise<void> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  }
  const name =
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
    path.split('?')[0]!.split('/').pop()!;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Follows a server-sent event stream with the token in the header (EventSource cannot send one): calls
 * `onEvent` with each event's name and data. Returns how to stop.
 */
export function follow(path: string, onEvent: (event: string, data: string) => void): () => void {
  const stop = new AbortController();
  void (async () => {
    const res = await fetch(path, { headers: authHeaders(), signal: stop.signal });
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        if (event) onEvent(event, /^data: (.*)$/m.exec(block)?.[1] ?? '');
      }
    }
  })().catch(() => {
    // Aborted on leaving the page, or the server went away: the page still shows what it had.
  });
  return () => stop.abort();
}
