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

/** GET or POST the public HTTP API with the read token; errors become sentences. */
export async function api<T = unknown>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (res.status === 401 || res.status === 403)
    throw new NeedsToken((await res.json().catch(() => ({}))).error ?? 'a read token is needed');
  const body = (await res.json().catch(() => null)) as (T & { error?: string }) | null;
  if (res.status === 404 && body?.error?.startsWith('no route')) throw new NotEnabled(path);
  if (!res.ok) throw new Error(body?.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/** A download link that carries the token (for files opened by the browser itself). */
export function withToken(path: string): string {
  const t = token();
  return t ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}` : path;
}
