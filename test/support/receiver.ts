import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The events in the body (a JSON array or NDJSON). */
  readonly events: { idempotency_key: string; seq: number; id: string; type: string; [k: string]: unknown }[];
  /** The status it was answered with (undefined: never answered). */
  status?: number;
}

/** How to answer the nth request (from 0): a status, with headers and a body, or never ('hang'). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A webhook receiver of the test's own, on loopback, that answers as the test says. */
export interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** Events of the requests answered 2xx, in arrival order. */
  delivered(): Received['events'];
  /** Replaces how requests are answered from now on. */
  answer(fn: (n: number, req: Received) => Answer): void;
  close(): Promise<void>;
}

export async function startReceiver(
  fn: (n: number, req: Received) => Answer = () => ({ status: 200 }),
): Promise<Receiver> {
  let answer = fn;
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const events = body.startsWith('[')
        ? JSON.parse(body)
        : body
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l));
      const r: Received = { at: Date.now(), headers: req.headers, body, events };
      const a = answer(requests.length, r);
      requests.push(r);
      if (a === 'hang') return; // the socket stays open, unanswered
      r.status = a.status;
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    delivered: () =>
      requests.filter((r) => r.status !== undefined && r.status < 300).flatMap((r) => r.events),
    answer: (f) => {
      answer = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
