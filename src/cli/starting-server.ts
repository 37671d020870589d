import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionWatch } from '../core/connection-watch.js';

/** The HTTP server of a process still waiting for its store; the app takes its requests over once it is built. */
export interface StartingServer {
  readonly server: http.Server;
  readonly address: string;
  /** From now on requests go to handler (the app's router). */
  handOver(handler: http.RequestListener): void;
  close(): Promise<void>;
}

/**
 * Listens at once, before the store can be reached, so that an orchestrator sees a process that is alive
 * but not ready: /status answers 503 naming what is down, when it is tried next and why it failed; every
 * other request answers 503 with Retry-After. The same socket then serves the app, with no gap in between.
 */
export async function listenWhileStarting(
  listen: { host: string; port: number },
  waitingFor: ConnectionWatch,
): Promise<StartingServer> {
  let handler: http.RequestListener = (req, res) => {
    const s = waitingFor.state;
    const body =
      req.url?.split('?')[0] === '/status'
        ? {
            status: 'unhealthy',
            starting: true,
            checks: [{ name: waitingFor.name, ok: false, ...s }],
          }
        : {
            error: `panoramix is starting: ${waitingFor.name} is unreachable (${s.lastError ?? 'connecting'})`,
          };
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'retry-after': String(waitingFor.retryAfterSeconds()),
    });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    server,
    address: `http://${host}:${a.port}`,
    handOver(next) {
      handler = next;
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
